"""The agent text read as drug names (``resistance-rules.md`` C3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.rules.agents import AgentReading, Drug, DrugClass, read_agent

CHEMO = DrugClass.CHEMOTHERAPY


def partners(text: str) -> set[str]:
    return {d.name for d in read_agent(text).partners}


# ---------------------------------------------------------------------------
# Single drugs, brands, doses


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("pembrolizumab", "pembrolizumab"),
        ("Pembrolizumab", "pembrolizumab"),
        ("KEYTRUDA", "pembrolizumab"),
        ("Keytruda 200 mg q3w", "pembrolizumab"),
        ("pembrolizumab 2 mg/kg IV every 3 weeks", "pembrolizumab"),
        ("Opdivo", "nivolumab"),
        ("nivolumab 240 mg Q2W", "nivolumab"),
        ("nivolumab 3mg/kg", "nivolumab"),
        ("durvalumab 1500 mg q4w", "durvalumab"),
        ("Tecentriq", "atezolizumab"),
        ("atezolizumab and hyaluronidase-tqjs", "atezolizumab"),
        ("Libtayo", "cemiplimab"),
        ("cemiplimab-rwlc", "cemiplimab"),
        ("Jemperli", "dostarlimab"),
        ("Bavencio", "avelumab"),
        ("Imfinzi", "durvalumab"),
        ("  pembrolizumab  ", "pembrolizumab"),
        ("pembrolizumab (Keytruda)", "pembrolizumab"),
        ("pembrolizumab (MK-3475)", "pembrolizumab"),
        ("pembrolizumab monotherapy", "pembrolizumab"),
        ("pembrolizumab 400 mg every 6 weeks", "pembrolizumab"),
    ],
)
def test_a_pd1_inhibitor_alone_is_read_as_itself(text: str, name: str) -> None:
    reading = read_agent(text)
    assert reading == AgentReading(checkpoint=(name,))
    assert not reading.is_combination


@pytest.mark.parametrize("text", [None, "", "   "])
def test_no_agent_text_reads_as_nothing(text: str | None) -> None:
    reading = read_agent(text)
    assert reading == AgentReading()
    assert not reading.is_combination


def test_brand_and_generic_together_are_one_drug() -> None:
    assert read_agent("Keytruda / pembrolizumab").checkpoint == ("pembrolizumab",)


# ---------------------------------------------------------------------------
# Separators


@pytest.mark.parametrize(
    "text",
    [
        "pembrolizumab + lenvatinib",
        "pembrolizumab+lenvatinib",
        "pembrolizumab/lenvatinib",
        "pembrolizumab, lenvatinib",
        "pembrolizumab & lenvatinib",
        "pembrolizumab; lenvatinib",
        "pembrolizumab and lenvatinib",
        "pembrolizumab AND lenvatinib",
        "pembrolizumab plus lenvatinib",
        "pembrolizumab with lenvatinib",
        "Keytruda 200 mg q3w + Lenvima 20 mg daily",
        "lenvatinib (Lenvima) + pembrolizumab (Keytruda)",
    ],
)
def test_every_separator_splits_drug_names(text: str) -> None:
    reading = read_agent(text)
    assert reading.checkpoint == ("pembrolizumab",)
    assert reading.partners == (Drug("lenvatinib", DrugClass.TARGETED),)
    assert reading.unrecognised == ()
    assert reading.is_combination


def test_chemotherapy_triplet() -> None:
    reading = read_agent("carboplatin/pemetrexed/pembrolizumab")
    assert reading.checkpoint == ("pembrolizumab",)
    assert reading.partners == (Drug("carboplatin", CHEMO), Drug("pemetrexed", CHEMO))
    assert reading.is_combination


def test_dose_words_with_slashes_do_not_split_or_read_as_names() -> None:
    reading = read_agent("carboplatin AUC 5; pemetrexed 500 mg/m2; pembrolizumab 200 mg")
    assert reading.checkpoint == ("pembrolizumab",)
    assert {d.name for d in reading.partners} == {"carboplatin", "pemetrexed"}
    assert reading.unrecognised == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5-FU + cisplatin + pembrolizumab", {"fluorouracil", "cisplatin"}),
        ("5FU/cisplatin/pembrolizumab", {"fluorouracil", "cisplatin"}),
        ("fluorouracil, cisplatin, pembrolizumab", {"fluorouracil", "cisplatin"}),
        ("5-fluorouracil with pembrolizumab", {"fluorouracil"}),
    ],
)
def test_fluorouracil_spellings(text: str, expected: set[str]) -> None:
    assert partners(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nab-paclitaxel + atezolizumab", "nab-paclitaxel"),
        ("nab paclitaxel + atezolizumab", "nab-paclitaxel"),
        ("Abraxane + atezolizumab", "nab-paclitaxel"),
        ("paclitaxel + atezolizumab", "paclitaxel"),
        ("Taxol + atezolizumab", "paclitaxel"),
    ],
)
def test_nab_paclitaxel_is_distinct_from_paclitaxel(text: str, expected: str) -> None:
    assert partners(text) == {expected}


@pytest.mark.parametrize(
    ("text", "name", "drug_class"),
    [
        ("nivolumab + ipilimumab", "ipilimumab", DrugClass.ANTI_CTLA4),
        ("nivolumab (Opdivo) + Yervoy", "ipilimumab", DrugClass.ANTI_CTLA4),
        ("durvalumab + tremelimumab", "tremelimumab", DrugClass.ANTI_CTLA4),
        ("nivolumab + relatlimab", "relatlimab", DrugClass.ANTI_LAG3),
        ("pembrolizumab + axitinib", "axitinib", DrugClass.TARGETED),
        ("nivolumab + cabozantinib", "cabozantinib", DrugClass.TARGETED),
        ("atezolizumab + bevacizumab", "bevacizumab", DrugClass.ANTI_ANGIOGENIC),
        ("atezolizumab + bevacizumab-awwb", "bevacizumab", DrugClass.ANTI_ANGIOGENIC),
        ("pembrolizumab + ramucirumab", "ramucirumab", DrugClass.ANTI_ANGIOGENIC),
        ("enfortumab vedotin plus pembrolizumab", "enfortumab vedotin", DrugClass.ADC),
        ("Padcev + Keytruda", "enfortumab vedotin", DrugClass.ADC),
        ("pembrolizumab; trastuzumab deruxtecan", "trastuzumab deruxtecan", DrugClass.ADC),
        ("pembrolizumab + Enhertu", "trastuzumab deruxtecan", DrugClass.ADC),
        ("pembrolizumab + docetaxel", "docetaxel", CHEMO),
        ("pembrolizumab + gemcitabine", "gemcitabine", CHEMO),
        ("atezolizumab/carboplatin/etoposide", "etoposide", CHEMO),
        ("nivolumab + capecitabine", "capecitabine", CHEMO),
        ("nivolumab + irinotecan", "irinotecan", CHEMO),
        ("nivolumab + oxaliplatin", "oxaliplatin", CHEMO),
        ("pembrolizumab + epacadostat", "epacadostat", DrugClass.OTHER),
    ],
)
def test_partner_drugs_and_their_classes(text: str, name: str, drug_class: DrugClass) -> None:
    reading = read_agent(text)
    assert Drug(name, drug_class) in reading.partners
    assert reading.is_combination


def test_trastuzumab_alone_is_not_the_conjugate() -> None:
    assert read_agent("pembrolizumab + trastuzumab").partners == (Drug("trastuzumab", DrugClass.TARGETED),)


def test_combination_product_names_every_drug() -> None:
    reading = read_agent("Opdualag")
    assert reading.checkpoint == ("nivolumab",)
    assert reading.partners == (Drug("relatlimab", DrugClass.ANTI_LAG3),)


def test_a_partner_named_in_parentheses_still_counts() -> None:
    assert partners("nivolumab (with ipilimumab)") == {"ipilimumab"}


def test_a_partner_without_a_pd1_inhibitor() -> None:
    reading = read_agent("ipilimumab")
    assert reading.checkpoint == ()
    assert reading.partners == (Drug("ipilimumab", DrugClass.ANTI_CTLA4),)


def test_labels_are_human_words() -> None:
    assert Drug("carboplatin", CHEMO).label == "chemotherapy"
    assert Drug("ipilimumab", DrugClass.ANTI_CTLA4).label == "anti-CTLA-4 antibody"
    assert DrugClass.ADC.value == "antibody_drug_conjugate"
    for drug_class in DrugClass:
        assert drug_class.label
        assert "_" not in drug_class.label


# ---------------------------------------------------------------------------
# Unrecognised names


def test_unknown_name_is_kept_as_typed_with_whitespace_normalised() -> None:
    reading = read_agent("  Foo-123   Bar  200 mg ")
    assert reading == AgentReading(unrecognised=("Foo-123 Bar",))


def test_unknown_name_beside_a_pd1_inhibitor_is_reported() -> None:
    reading = read_agent("pembrolizumab + Zorbalimab 10 mg/kg")
    assert reading.checkpoint == ("pembrolizumab",)
    assert reading.unrecognised == ("Zorbalimab",)
    assert not reading.is_combination


def test_unknown_text_in_parentheses_is_ignored() -> None:
    assert read_agent("pembrolizumab (lot 44A-7, site pharmacy)").unrecognised == ()


def test_unrecognised_names_are_sorted_and_unique() -> None:
    assert read_agent("zeta + Alpha + zeta").unrecognised == ("Alpha", "zeta")


def test_misspelling_is_not_guessed() -> None:
    reading = read_agent("pembrolizamab")
    assert reading.checkpoint == ()
    assert reading.unrecognised == ("pembrolizamab",)


def test_reading_is_cached_and_hashable() -> None:
    assert read_agent("pembrolizumab + lenvatinib") is read_agent("pembrolizumab + lenvatinib")
    hash(read_agent("pembrolizumab + lenvatinib"))


# ---------------------------------------------------------------------------
# Order never changes the reading

NAMES = [
    "pembrolizumab", "Keytruda", "nivolumab", "atezolizumab", "carboplatin", "pemetrexed",
    "5-FU", "fluorouracil", "nab-paclitaxel", "paclitaxel", "lenvatinib", "ipilimumab",
    "enfortumab vedotin", "trastuzumab deruxtecan", "bevacizumab", "Zorbalimab", "Foo-123",
]  # fmt: skip
SEPARATORS = [" + ", "/", ", ", " & ", "; ", " and ", " plus ", " with ", "+"]
DOSES = ["", " 200 mg", " q3w", " 2 mg/kg", " (Brand)", " AUC 5"]


@st.composite
def drug_lists(draw: st.DrawFn) -> list[str]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5))
    return [name + draw(st.sampled_from(DOSES)) for name in names]


@settings(max_examples=300, deadline=None)
@given(drug_lists(), st.data())
def test_drug_order_and_separators_never_change_the_reading(drugs: list[str], data: st.DataObject) -> None:
    def join(items: list[str]) -> str:
        out = items[0]
        for item in items[1:]:
            out += data.draw(st.sampled_from(SEPARATORS)) + item
        return out

    shuffled = data.draw(st.permutations(drugs))
    assert read_agent(join(drugs)) == read_agent(join(list(shuffled)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
def test_every_name_is_read_whatever_its_neighbours(names: list[str]) -> None:
    reading = read_agent(" + ".join(names))
    for name in names:
        alone = read_agent(name)
        assert set(alone.checkpoint) <= set(reading.checkpoint)
        assert set(alone.partners) <= set(reading.partners)
        assert set(alone.unrecognised) <= set(reading.unrecognised)
