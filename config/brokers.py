"""Which Dramatiq broker a URL means."""

from __future__ import annotations

REDIS_BROKER = "dramatiq.brokers.redis.RedisBroker"
RABBITMQ_BROKER = "dramatiq.brokers.rabbitmq.RabbitmqBroker"


def broker_class_for(url: str) -> str:
    """RabbitMQ for amqp(s):// URLs, Redis for redis(s):// and unix:// ones."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in {"amqp", "amqps"}:
        return RABBITMQ_BROKER
    if scheme in {"redis", "rediss", "unix"}:
        return REDIS_BROKER
    raise ValueError(
        f"BROKER_URL {url!r} has no supported scheme: use redis://, rediss://, unix:// (Redis) "
        "or amqp://, amqps:// (RabbitMQ)."
    )
