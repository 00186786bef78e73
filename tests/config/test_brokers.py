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
