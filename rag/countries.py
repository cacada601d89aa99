"""Whether a place's name is a country's: "Germany" answers "Which country ...?" but not "In which city ...?"
nor "From which spaceport ...?".

pycountry was picked because it is the maintained, offline copy of ISO 3166 (Debian's iso-codes): the
countries' short, official and common names. Only names count, not two- or three-letter codes ("IT", "US"
are words too). A country whose name it does not hold ("Russia", "Britain") is taken for a place of any
kind, as before; a city-state ("Luxembourg", "Singapore") is taken for a country.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _country_names() -> frozenset[str]:
    import pycountry

    names = set()
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                names.add(name.lower())
    return frozenset(names)


def is_country(name: str) -> bool:
    """Whether `name` ("Germany", "the Netherlands", "United States") is a country's name."""
    bare = name.strip().lower().removeprefix("the ").strip()
    return bare in _country_names()
