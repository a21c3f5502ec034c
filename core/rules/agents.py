"""The agent text read as drug names (``resistance-rules.md`` C3).

Coordinators type the agent as free text: "pembrolizumab", "Keytruda 200 mg
q3w", "carboplatin/pemetrexed/pembrolizumab", "nivolumab (Opdivo) + ipilimumab".
``read_agent`` splits it into drug names and sorts them into the PD-(L)1
inhibitors, the known partner drugs (each with its class) and the names it
does not know. The classifier uses the reading to decide whether a course
entered as monotherapy is in fact a combination.

Reading rules:
- separators ``+ / , & ;`` and the words ``and``, ``plus``, ``with``;
- dose words (``200 mg``, ``2 mg/kg``, ``AUC 5``, ``q3w``, ``every 3 weeks``,
  ``IV``...) are ignored;
- text in parentheses is read for drug names (a brand name there is the same
  drug; a partner drug named there still counts) and is otherwise ignored;
- case-insensitive; brand names and common codes are recognised as their
  drug; ``5-FU`` is fluorouracil; ``nab-paclitaxel`` is not paclitaxel;
- the reading is the same whatever the order of the drugs in the text.

Pure and cached: the same text always gives the same reading.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum


class DrugClass(StrEnum):
    PD1_PDL1 = "pd1_pdl1"
    ANTI_CTLA4 = "anti_ctla4"
    ANTI_LAG3 = "anti_lag3"
    CHEMOTHERAPY = "chemotherapy"
    TARGETED = "targeted"
    ANTI_ANGIOGENIC = "anti_angiogenic"
    ADC = "antibody_drug_conjugate"
    OTHER = "other"

    @property
    def label(self) -> str:
        return DRUG_CLASS_LABELS[self]


DRUG_CLASS_LABELS: dict[DrugClass, str] = {
    DrugClass.PD1_PDL1: "PD-1/PD-L1 inhibitor",
    DrugClass.ANTI_CTLA4: "anti-CTLA-4 antibody",
    DrugClass.ANTI_LAG3: "anti-LAG-3 antibody",
    DrugClass.CHEMOTHERAPY: "chemotherapy",
    DrugClass.TARGETED: "targeted therapy",
    DrugClass.ANTI_ANGIOGENIC: "anti-angiogenic antibody",
    DrugClass.ADC: "antibody-drug conjugate",
    DrugClass.OTHER: "other anticancer drug",
}


@dataclass(frozen=True, order=True)
class Drug:
    name: str  # canonical lower-case name
    drug_class: DrugClass

    @property
    def label(self) -> str:
        """Human label of the drug's class ("chemotherapy", "anti-CTLA-4 antibody"...)."""
        return self.drug_class.label


@dataclass(frozen=True)
class AgentReading:
    checkpoint: tuple[str, ...] = ()  # recognised PD-(L)1 inhibitors: canonical names, sorted
    partners: tuple[Drug, ...] = ()  # recognised other drugs, sorted
    unrecognised: tuple[str, ...] = ()  # names read but not known: as typed, whitespace normalised, sorted

    @property
    def is_combination(self) -> bool:
        """Whether any partner drug is named beside (or instead of) a PD-(L)1 inhibitor."""
        return bool(self.partners)


# ---------------------------------------------------------------------------
# The drug catalogue: canonical name -> (class, other names: brands, codes, spellings)

_CATALOGUE: dict[DrugClass, dict[str, tuple[str, ...]]] = {
    DrugClass.PD1_PDL1: {
        # PD-1
        "pembrolizumab": ("keytruda", "mk-3475", "lambrolizumab"),
        "nivolumab": ("opdivo", "bms-936558", "ono-4538", "mdx-1106"),
        "cemiplimab": ("libtayo", "cemiplimab-rwlc", "regn2810"),
        "dostarlimab": ("jemperli", "tsr-042"),
        "retifanlimab": ("zynyz", "incmga00012"),
        "toripalimab": ("loqtorzi", "js001"),
        "tislelizumab": ("tevimbra", "bgb-a317"),
        "sintilimab": ("tyvyt",),
        "camrelizumab": ("shr-1210",),
        "penpulimab": (),
        "serplulimab": ("hansizhuang",),
        "spartalizumab": ("pdr001",),
        "zimberelimab": (),
        "prolgolimab": (),
        # PD-L1
        "atezolizumab": ("tecentriq", "mpdl3280a"),
        "durvalumab": ("imfinzi", "medi4736"),
        "avelumab": ("bavencio", "msb0010718c"),
        "sugemalimab": ("cejemly",),
        "envafolimab": (),
        "cosibelimab": ("unloxcyt",),
        "adebrelimab": (),
        "socazolimab": (),
    },
    DrugClass.ANTI_CTLA4: {
        "ipilimumab": ("yervoy", "mdx-010"),
        "tremelimumab": ("imjudo", "cp-675206"),
    },
    DrugClass.ANTI_LAG3: {
        "relatlimab": ("bms-986016",),
        "fianlimab": (),
    },
    DrugClass.CHEMOTHERAPY: {
        "carboplatin": ("paraplatin",),
        "cisplatin": ("platinol",),
        "oxaliplatin": ("eloxatin",),
        "pemetrexed": ("alimta",),
        "paclitaxel": ("taxol",),
        "nab-paclitaxel": ("abraxane", "nab paclitaxel", "albumin-bound paclitaxel", "nabpaclitaxel"),
        "docetaxel": ("taxotere",),
        "gemcitabine": ("gemzar",),
        "etoposide": ("vp-16", "etopophos"),
        "fluorouracil": ("5-fu", "5fu", "5-fluorouracil", "adrucil"),
        "capecitabine": ("xeloda",),
        "irinotecan": ("camptosar",),
        "leucovorin": ("folinic acid", "calcium folinate"),
        "cyclophosphamide": ("cytoxan",),
        "doxorubicin": ("adriamycin",),
        "epirubicin": (),
        "vinorelbine": ("navelbine",),
        "vinblastine": (),
        "topotecan": ("hycamtin",),
        "temozolomide": ("temodar", "temodal"),
        "dacarbazine": ("dtic",),
        "eribulin": ("halaven",),
        "nedaplatin": (),
        "mitomycin": ("mitomycin c",),
        "bleomycin": (),
    },
    DrugClass.TARGETED: {
        "lenvatinib": ("lenvima",),
        "axitinib": ("inlyta",),
        "cabozantinib": ("cabometyx", "cometriq"),
        "sunitinib": ("sutent",),
        "sorafenib": ("nexavar",),
        "pazopanib": ("votrient",),
        "regorafenib": ("stivarga",),
        "tivozanib": ("fotivda",),
        "anlotinib": (),
        "apatinib": ("rivoceranib",),
        "fruquintinib": ("fruzaqla",),
        "trastuzumab": ("herceptin",),
        "pertuzumab": ("perjeta",),
        "cetuximab": ("erbitux",),
        "panitumumab": ("vectibix",),
        "olaparib": ("lynparza",),
        "niraparib": ("zejula",),
        "rucaparib": ("rubraca",),
        "talazoparib": ("talzenna",),
        "dabrafenib": ("tafinlar",),
        "trametinib": ("mekinist",),
        "vemurafenib": ("zelboraf",),
        "cobimetinib": ("cotellic",),
        "encorafenib": ("braftovi",),
        "binimetinib": ("mektovi",),
        "osimertinib": ("tagrisso",),
        "erlotinib": ("tarceva",),
        "gefitinib": ("iressa",),
        "everolimus": ("afinitor",),
        "abemaciclib": ("verzenio",),
        "palbociclib": ("ibrance",),
        "ribociclib": ("kisqali",),
    },
    DrugClass.ANTI_ANGIOGENIC: {
        "bevacizumab": ("avastin", "mvasi", "zirabev"),
        "ramucirumab": ("cyramza",),
        "aflibercept": ("zaltrap", "ziv-aflibercept"),
    },
    DrugClass.ADC: {
        "enfortumab vedotin": ("padcev", "enfortumab vedotin-ejfv", "ev"),
        "trastuzumab deruxtecan": ("enhertu", "t-dxd", "fam-trastuzumab deruxtecan", "ds-8201"),
        "trastuzumab emtansine": ("kadcyla", "t-dm1", "ado-trastuzumab emtansine"),
        "sacituzumab govitecan": ("trodelvy",),
        "datopotamab deruxtecan": ("datroway", "dato-dxd"),
        "tisotumab vedotin": ("tivdak",),
        "mirvetuximab soravtansine": ("elahere",),
        "disitamab vedotin": (),
        "patritumab deruxtecan": (),
    },
    DrugClass.OTHER: {
        "epacadostat": (),
        "aldesleukin": ("proleukin", "interleukin-2", "il-2"),
        "bempegaldesleukin": ("nktr-214",),
        "talimogene laherparepvec": ("t-vec", "imlygic"),
        "tebentafusp": ("kimmtrak",),
        "lifileucel": ("amtagvi",),
        "interferon alfa": ("interferon", "ifn"),
        "denosumab": ("xgeva",),
    },
}

# Combination products: one name, several drugs.
_COMBINATION_PRODUCTS: dict[str, tuple[str, ...]] = {
    "opdualag": ("nivolumab", "relatlimab"),
    "folfox": ("fluorouracil", "leucovorin", "oxaliplatin"),
    "folfiri": ("fluorouracil", "leucovorin", "irinotecan"),
    "folfirinox": ("fluorouracil", "leucovorin", "irinotecan", "oxaliplatin"),
    "capox": ("capecitabine", "oxaliplatin"),
    "xelox": ("capecitabine", "oxaliplatin"),
}

# Words and tokens that never name a drug: doses, routes, schedules, filler.
_NOISE_WORDS = """
    mg g mcg ug µg kg m2 m² ml iu u unit units auc flat fixed dose doses dosing
    iv i v sc s c po oral intravenous intravenously subcutaneous subcutaneously infusion
    q qw q1w q2w q3w q4w q6w q12w qd bid tid weekly daily every week weeks wk wks day days d d1 d8
    cycle cycles cyc monotherapy mono alone single agent maintenance induction then followed by
    the of for in on at per x over only regimen therapy
    hyaluronidase berahyaluronidase alfa nvhy tqjs pmph oysk
"""
_NOISE = frozenset(_NOISE_WORDS.split())

_DOSE_PATTERNS = re.compile(
    r"""
    \d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|ml|iu|units?)\b(?:\s*/\s*(?:kg|m2|m²|m\^2|day|d|wk|week|dose))?
    | \bmg\s*/\s*(?:kg|m2|m²|m\^2)
    | \bauc\s*[=:]?\s*\d+(?:[.,]\d+)?
    | \bq\s?\d+\s?(?:w|wk|wks|weeks?|d|days?)\b
    | \bevery\s+\d+\s*(?:weeks?|wks?|days?)\b
    | \b\d+\s*(?:weeks?|wks?|days?)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_SEPARATORS = re.compile(r"[+/,&;]|\b(?:and|plus|with)\b", re.IGNORECASE)
_PARENS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_TOKEN = re.compile(r"[^\W_]+")
# US non-proprietary suffix of a biologic ("bevacizumab-awwb"): the same drug.
_BIOLOGIC_SUFFIX = re.compile(r"\b([a-z]+mab)-[a-z]{4}\b", re.IGNORECASE)


def _key(name: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(name.lower()))


def _build_aliases() -> dict[tuple[str, ...], tuple[Drug, ...]]:
    drugs: dict[str, Drug] = {}
    aliases: dict[tuple[str, ...], tuple[Drug, ...]] = {}
    for drug_class, entries in _CATALOGUE.items():
        for name, others in entries.items():
            drug = Drug(name, drug_class)
            drugs[name] = drug
            for alias in (name, *others):
                aliases[_key(alias)] = (drug,)
                # "5-FU" and "5FU", "nab-paclitaxel" and "nabpaclitaxel": both spellings.
                aliases.setdefault((alias.lower().replace("-", "").replace(" ", ""),), (drug,))
    for product, names in _COMBINATION_PRODUCTS.items():
        aliases[_key(product)] = tuple(drugs[n] for n in names)
    return aliases


_ALIASES = _build_aliases()
_LONGEST = max(len(k) for k in _ALIASES)
KNOWN_DRUGS: frozenset[Drug] = frozenset(d for drugs in _ALIASES.values() for d in drugs)
PD1_PDL1_NAMES: frozenset[str] = frozenset(d.name for d in KNOWN_DRUGS if d.drug_class is DrugClass.PD1_PDL1)


def _is_noise(token: str) -> bool:
    t = token.lower()
    return t in _NOISE or t.replace(".", "").isdigit()


def _read_segment(segment: str, found: set[Drug], unknown: list[str]) -> None:
    """Match the known names in one separator-free piece of text, greedily, longest first."""
    tokens = list(_TOKEN.finditer(segment))
    keys = [t.group().lower() for t in tokens]
    run: list[int] = []  # indices of consecutive unmatched tokens

    def flush() -> None:
        kept = list(run)
        # Leading and trailing noise words go; noise joined to a name without a space
        # ("ABC-123") stays part of the name as typed.
        while kept and _is_noise(keys[kept[0]]) and not _joined(kept[0], kept[0] + 1):
            kept.pop(0)
        while kept and _is_noise(keys[kept[-1]]) and not _joined(kept[-1] - 1, kept[-1]):
            kept.pop()
        if kept and not all(_is_noise(keys[k]) for k in kept):
            text = segment[tokens[kept[0]].start() : tokens[kept[-1]].end()]
            unknown.append(" ".join(text.split()))
        run.clear()

    def _joined(a: int, b: int) -> bool:
        if a < 0 or b >= len(tokens):
            return False
        between = segment[tokens[a].end() : tokens[b].start()]
        return bool(between) and not between.isspace() and " " not in between

    k = 0
    while k < len(tokens):
        for n in range(min(_LONGEST, len(tokens) - k), 0, -1):
            drugs = _ALIASES.get(tuple(keys[k : k + n]))
            if drugs is not None:
                flush()
                found.update(drugs)
                k += n
                break
        else:
            run.append(k)
            k += 1
    flush()


def _read(text: str, found: set[Drug], unknown: list[str]) -> None:
    # Parenthesised text: drug names in it count, anything else in it is ignored.
    def inner(match: re.Match[str]) -> str:
        _read(match.group(1) or match.group(2) or "", found, [])
        return " "

    text = _PARENS.sub(inner, text)
    text = _BIOLOGIC_SUFFIX.sub(r"\1", text)
    text = _DOSE_PATTERNS.sub(" ", text)
    for segment in _SEPARATORS.split(text):
        if segment.strip():
            _read_segment(segment, found, unknown)


@functools.lru_cache(maxsize=4096)
def read_agent(text: str | None) -> AgentReading:
    """Read the agent text as drug names (pure; the same text always gives the same reading)."""
    if not text or not text.strip():
        return AgentReading()
    found: set[Drug] = set()
    unknown: list[str] = []
    _read(text, found, unknown)
    checkpoint = tuple(sorted({d.name for d in found if d.drug_class is DrugClass.PD1_PDL1}))
    partners = tuple(sorted(d for d in found if d.drug_class is not DrugClass.PD1_PDL1))
    return AgentReading(checkpoint, partners, tuple(sorted(set(unknown))))
