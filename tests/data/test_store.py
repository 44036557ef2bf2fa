import pandas as pd

from shopcase.data import generate_shop, load_or_generate
from shopcase.data.generate import ShopConfig
from shopcase.data.store import cache_key

SMALL = dict(n_users=300, n_items=200, seed=3)


def test_cache_round_trip_is_exact(tmp_path):
    first = load_or_generate(**SMALL, cache_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    cached = load_or_generate(**SMALL, cache_dir=tmp_path)
    fresh = generate_shop(**SMALL)
    for name in ("catalogue", "users", "events", "emails", "prices", "stockouts"):
        pd.testing.assert_frame_equal(getattr(cached, name), getattr(fresh, name), obj=name)
        pd.testing.assert_frame_equal(getattr(first, name), getattr(fresh, name), obj=name)
    assert cached.config == fresh.config
    assert (cached.truth.staples == fresh.truth.staples).all()


def test_other_parameters_get_their_own_cache_entry(tmp_path):
    load_or_generate(**SMALL, cache_dir=tmp_path)
    load_or_generate(**{**SMALL, "seed": 4}, cache_dir=tmp_path)
    load_or_generate(**SMALL, cache_dir=tmp_path, checkout_rate=0.5)
    assert len(list(tmp_path.iterdir())) == 3
    assert cache_key(ShopConfig(**SMALL)) != cache_key(ShopConfig(**SMALL, fade_days=30.0))


def test_refresh_regenerates_a_damaged_cache(tmp_path):
    load_or_generate(**SMALL, cache_dir=tmp_path)
    folder = next(tmp_path.iterdir())
    pd.DataFrame({"x": [1]}).to_parquet(folder / "events.parquet")
    shop = load_or_generate(**SMALL, cache_dir=tmp_path, refresh=True)
    assert "user_id" in pd.read_parquet(folder / "events.parquet").columns
    assert len(shop.events) == len(generate_shop(**SMALL).events)
