import pytest

from config.brokers import RABBITMQ_BROKER, REDIS_BROKER, broker_class_for


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://cache:6380/1",
                                 "unix:///var/run/redis.sock?db=0"])
def test_redis_urls_choose_the_redis_broker(url):
    assert broker_class_for(url) == REDIS_BROKER


@pytest.mark.parametrize("url", ["amqp://guest:guest@127.0.0.1:5672/", "amqps://mq/vhost"])
def test_amqp_urls_choose_the_rabbitmq_broker(url):
    assert broker_class_for(url) == RABBITMQ_BROKER


def test_unknown_broker_scheme_is_refused_with_the_supported_ones():
    with pytest.raises(ValueError, match=r"'kafka://x' has no supported scheme: use redis://"):
        broker_class_for("kafka://x")


def test_configured_broker_retries_with_backoff_and_runs_actors_in_their_tenant():
    import dramatiq
    from dramatiq.middleware import Retries

    from config.dramatiq import TenantMiddleware

    middleware = dramatiq.get_broker().middleware
    [retries] = [m for m in middleware if isinstance(m, Retries)]
    assert (retries.max_retries, retries.min_backoff, retries.max_backoff) == (10, 1000, 300000)
    assert any(isinstance(m, TenantMiddleware) for m in middleware)
