"""The private Redis of the outage tests (psico_core.testing): a real server of the test's
own, which stops refusing connections and starts again on the same port."""

from psico_core.testing.redis_server import PrivateRedis, free_port

from tests.sockets import refused


def test_a_private_redis_stops_and_starts_again_on_its_port(private_redis):
    port = private_redis.port
    assert private_redis.running and private_redis.ping()
    assert private_redis.url == f"redis://127.0.0.1:{port}/0"

    private_redis.stop()
    assert not private_redis.running and not private_redis.ping()
    assert refused(port)

    private_redis.start()
    assert private_redis.running and private_redis.ping()
    assert private_redis.port == port


def test_stopping_a_server_that_never_started_is_harmless():
    server = PrivateRedis()
    server.close()
    assert not server.running and not server.ping()


def test_a_free_port_has_nobody_listening():
    assert refused(free_port())
