from .zz_helper_probe import VALUE


def test_probe() -> None:
    assert VALUE == 42
