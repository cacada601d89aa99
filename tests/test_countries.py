import pytest

from rag.countries import is_country


@pytest.mark.parametrize("name", ["Germany", "the Netherlands", "United States", "Türkiye", "FRANCE"])
def test_a_countrys_name_is_a_country(name):
    assert is_country(name)


@pytest.mark.parametrize("name", ["Toulouse", "Ramstein", "The Hague", "Washington, D.C.", "IT", "US", ""])
def test_cities_sites_and_codes_are_not(name):
    assert not is_country(name)
