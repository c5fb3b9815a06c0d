import pytest
from django.core.cache import cache
from psico_core.resilient_cache import resilient_cache


@pytest.fixture(autouse=True)
def _fresh_counters():
    # Throttle counters live in the cache, which outlives a test.
    cache.clear()
    resilient_cache.reset()
    yield
    cache.clear()
    resilient_cache.reset()
