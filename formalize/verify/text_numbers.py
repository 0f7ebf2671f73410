"""The numbers of a problem text, each with its readings and its role.

A number is read the way a careful modeller reads it: "1,200" is 1200, "20%" is 20 (and 0.2),
"2.5 thousand" is 2500, "1/3" is one number, "8.99e-04" and "5 × 10^4" are one number each,
"five" and "twenty-five" are numbers. Each number also gets a *role*: only a `quantity` is data
the model is expected to use. The other roles name or place things — exercise numbers opening
the text ("1.33 A farm has…"), list markers ("; 2) The base fee…"), labels ("Job 0", "City 3",
"machines 1-3"), references ("Table 1-9"), ordinals ("3rd"), years and dates, clock times
("14:00", "8 a.m."), and unit words ("per thousand gallons", "in $100,000"). A number in any role
may still ground a model number; it is just never demanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

QUANTITY = "quantity"
ROLES = ("quantity", "label", "list", "exercise", "reference", "ordinal", "year", "clock", "unit")


@dataclass(frozen=True)
class TextNumber:
    """A number found in the problem text: its value, other readings, place, role and quote."""

    value: float
    start: int
    end: int
    quote: str
    percent: bool = False
    role: str = QUANTITY
    readings: tuple[float, ...] = ()  # other values the same words may mean ("5m": 5e6 and 5)
    line: int = 1
    col: int = 1
    raw: str = ""

    @property
    def values(self) -> tuple[float, ...]:
        """The value and every other reading."""
        return (self.value, *self.readings)

    @property
    def demanded(self) -> bool:
        """True when the model is expected to use it (a quantity, not a name or a place)."""
        return self.role == QUANTITY


# --------------------------------------------------------------------------- number words

WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "thousand": 1000, "million": 1e6, "billion": 1e9, "half": 0.5, "twice": 2,
    "double": 2, "triple": 3, "thrice": 3, "quarter": 0.25, "third": 1 / 3, "dozen": 12, "once": 1,
}
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_SMALL = "eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|ten|" + _UNITS
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
# "twenty-five", "ninety nine", "five hundred", "twenty-five thousand": one number, not two
_COMPOUND_RE = re.compile(
    rf"\b(?:(?P<tens>{_TENS})[- ](?P<unit>{_UNITS})|(?P<base>{_TENS}|{_SMALL}))"
    rf"(?:\s+(?P<mult>hundred|thousand|million|billion)\b)?\b", re.IGNORECASE)
_DENOMINATORS = {"halves": 2, "thirds": 3, "quarters": 4, "fourths": 4, "fifths": 5, "tenths": 10}
_FRACTION_WORDS = re.compile(r"\b(one|two|three|four|five|nine|[1-9])\s+(halves|thirds|quarters|fourths|fifths|tenths)\b",
                             re.IGNORECASE)
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
            "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "quarter": 4}
_ORDINAL_RE = re.compile(r"\b(first|second|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)\b",
                         re.IGNORECASE)
_WORD_RE = re.compile(r"\b(" + "|".join(sorted(WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
# "four point five", "zero point two five": a decimal in words, one number
_DIGIT_WORDS = "zero|" + _UNITS
_POINT_RE = re.compile(
    rf"\b(?P<int>{_TENS}|{_SMALL}|zero)\s+point\s+(?P<frac>(?:{_DIGIT_WORDS})(?:\s+(?:{_DIGIT_WORDS}))*)\b",
    re.IGNORECASE)
_MULT = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9,
         "b": 1e9}

# --------------------------------------------------------------------------- digits

_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_NUM_RE = re.compile(
    r"(?<![\w.])"
    r"(?P<sign>[-−](?=\.?\d))?"
    r"(?P<num>[1-9]\d{0,2}(?:,\d{3}(?!\d))+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:(?P<exp>[eE][-+−]?\d+)(?![\w])"
    r"|\s*(?:[x×*·]|\\times)\s*10\s*(?:\^|\*\*)\s*\{?(?P<pow>[-+−]?\d+)\}?"
    r"|\s*[x×·]\s*10(?P<sup>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)"
    r"|(?<=10)(?:\^|\*\*)\{?(?P<pow10>[-+−]?\d+)\}?"
    r"|(?<=10)(?P<sup10>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))?"
    r"(?:/(?P<den>\d+(?:\.\d+)?)(?![\d/]))?"
    r"(?P<suffix>\s*%|\s*per\s*cent\b|\s*percent\b|\s*(?:thousand|million|billion|bn|mn)\b"
    r"|[kKmMbB]\b)?",
    re.IGNORECASE)

# --------------------------------------------------------------------------- roles

_REFERENCE_BEFORE = re.compile(
    r"\b(?:table|tab\.|figure|fig\.|problem|section|sec\.|(?<!for )example|exercise|step|chapter|"
    r"eq\.|equation|question|page|p\.|appendix|constraint|formula|model|lemma|theorem|no\.|number|#)"
    r"\s*[\d.\-–]*$", re.IGNORECASE)
_EXERCISE_START = re.compile(
    r"\A\s*(?:(?:exercise|problem|question|example|task|case|q)\s*)?"
    r"(?P<n>\d+(?:\.\d+)*)(?:[.):]\s*|\s+)(?=(?:\d|[A-Z(\[]))", re.IGNORECASE)
_LIST_BEFORE = re.compile(r"(?:^|\n|[;:]|[.!?]\s|\band\s)\s*[(\[]?$")
_LIST_AFTER = re.compile(r"[.)\]]\s+\S")
_LABEL_NOUNS = (
    "job|machine|city|cities|product|plant|factory|factories|warehouse|operation|task|item|worker|"
    "employee|station|route|project|period|month|week|day|year|quarter|shift|stage|type|grade|option|"
    "region|site|store|shop|customer|client|supplier|truck|vehicle|car|ship|aircraft|airplane|plane|"
    "node|facility|facilities|depot|zone|line|phase|process|field|farm|mine|well|district|room|team|"
    "group|class|classes|course|center|centre|location|point|village|town|market|port|terminal|gate|"
    "dock|bin|container|plan|strategy|strategies|scenario|alternative|activity|activities|component|"
    "part|material|ingredient|food|crop|source|destination|origin|resource|tank|reactor|furnace|"
    "candidate|applicant|player|student|subject|batch|batches|order|lot|version|variant|line|level|"
    "round|slot|tier|area|sector|branch|branches|division|department|mode|model|pattern|segment|"
    "channel|server|processor|vessel|building|hospital|school|office|restaurant|kitchen|farmer|"
    "investor|fund|asset|stock|bond|portfolio|machine tool|crew|driver|nurse|doctor|patient|"
    "airport|harbor|harbour|bus|train|flight|arc|edge|vertex|vertices|bridge|road|street|tower|"
    "cell|box|boxes|bag|pallet|piece|shelf|shelves|room|floor|week|semester|term")
_LABEL_RE = re.compile(
    rf"\b(?:{_LABEL_NOUNS})(?:s|es)?\s*(?:#|no\.\s*|number\s+)?$", re.IGNORECASE)
_LABEL_SKIP_BEFORE = re.compile(r"\b(?:per|a|an|each|every)\s+\S+\s*$", re.IGNORECASE)
_CAP_WORD_NUM = re.compile(r"\b([A-Z][a-z]{2,})\s+(\d+)\b")
_CURRENCY_WORDS = frozenset({"usd", "rmb", "cny", "eur", "gbp", "jpy", "yuan", "dollars", "euros", "pounds",
                             "yen", "won", "rupees", "francs", "cents", "rs", "inr"})
_UNIT_AFTER_LABEL = re.compile(
    r"\s*(?:%|percent|hours?|hrs?|minutes?|mins?|seconds?|days?|weeks?|months?|years?|units?|tons?|"
    r"tonnes?|kg|g|lbs?|pounds?|dollars?|yuan|euros?|cents?|km|m|miles?|liters?|litres?|gallons?|"
    r"pieces?|items?|people|persons?|workers?|times)\b", re.IGNORECASE)
_ORDINAL_SUFFIX = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)
_ORDINAL_WORD_BEFORE = re.compile(r"\b(?:the|each|every|this|next|last|first|second|third|fourth)\s+$",
                                  re.IGNORECASE)
_YEAR_BEFORE = re.compile(
    r"(?:\b(?:in|since|year|years|by|until|before|after|from|fy|fiscal|jan\w*|feb\w*|mar\w*|apr\w*|may|"
    r"jun\w*|jul\w*|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*)\.?\s+(?:\d{1,2},?\s+)?|,\s*|\(\s*)$",
    re.IGNORECASE)
_DAY_BEFORE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+$")
_AMPM_AFTER = re.compile(r"\s*(?P<ap>a\.?\s?m\.?|p\.?\s?m\.?)(?![a-z])", re.IGNORECASE)
_OCLOCK_AFTER = re.compile(r"\s*o'?clock\b", re.IGNORECASE)
_UNIT_BEFORE = re.compile(r"(?:\b(?:in|unit:?|units\s+of|unit\s+is|measured\s+in|expressed\s+in)\s*"
                          r"(?:units\s+of\s+)?[$€£¥]?\s*|\(\s*[$€£¥]?\s*)$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"\s*(?:yuan|rmb|cny|dollars?|usd|euros?|eur|pounds?|gbp|yen|won|rupees?)\b",
                             re.IGNORECASE)
_UNIT_WORD_CONTEXT = re.compile(
    r"(?:\b(?:per|in|of)\s+(?:a\s+|one\s+)?$)", re.IGNORECASE)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def quote(text: str, a: int, b: int, width: int = 30) -> str:
    """The words around text[a:b], on one line, with … where cut."""
    lo = max(0, a - width)
    hi = min(len(text), b + width)
    s = re.sub(r"\s+", " ", text[lo:hi]).strip()
    return ("…" if lo > 0 else "") + s + ("…" if hi < len(text) else "")


def _pow10(v: float) -> bool:
    if v < 10:
        return False
    while v >= 10 and v == int(v) and int(v) % 10 == 0:
        v /= 10
    return v == 1


def _digit_value(m: re.Match) -> tuple[float, tuple[float, ...], bool] | None:
    """(value, other readings, percent) of one digit match, or None when it is not a number."""
    raw = m.group("num").replace(",", "")
    try:
        v = float(raw)
    except ValueError:
        return None
    readings: list[float] = []
    if m.group("exp"):
        v = float(raw + m.group("exp").replace("−", "-"))
    elif m.group("pow") is not None:
        v *= 10.0 ** int(m.group("pow").replace("−", "-"))
    elif m.group("sup"):
        v *= 10.0 ** int(m.group("sup").translate(_SUP))
    elif m.group("pow10") is not None and raw == "10":
        v = 10.0 ** int(m.group("pow10").replace("−", "-"))
    elif m.group("sup10") and raw == "10":
        v = 10.0 ** int(m.group("sup10").translate(_SUP))
    if m.group("den"):  # only a simple fraction reaches here (see _simple_fraction)
        den = float(m.group("den"))
        readings += [v, den]
        v = v / den
    suffix = re.sub(r"\s+", "", (m.group("suffix") or "").lower())
    pct = suffix in ("%", "percent")
    if not pct and suffix in _MULT:
        readings.append(v)  # "5m" may be 5 million or 5 metres; "2.5 thousand" is also 2.5
        v *= _MULT[suffix]
    if m.group("sign"):
        v = -v
        readings = [-r for r in readings]
    return v, tuple(readings), pct


def _clock_numbers(text: str) -> tuple[list[TextNumber], list[tuple[int, int]]]:
    """Times of day: "14:00", "9:30", "8 a.m.", "5 pm", "8 o'clock"."""
    out, taken = [], []
    for m in re.finditer(r"(?<![\d:.])(\d{1,2}):(\d{2})(?!\d)(?:\s*(a\.?\s?m\.?|p\.?\s?m\.?)(?![a-z]))?",
                         text, re.IGNORECASE):
        h, mi = int(m.group(1)), int(m.group(2))
        if h > 24 or mi > 59:
            continue
        pm = (m.group(3) or "").lower().startswith("p")
        hour = h + 12 if pm and h < 12 else h
        readings = tuple({float(h), hour + mi / 60} - {hour + mi / 60 if mi else float(hour)})
        out.append(_mk(text, m.start(), m.end(), float(hour) + mi / 60, role="clock", readings=readings))
        taken.append((m.start(), m.end()))
    return out, taken


def _mk(text: str, a: int, b: int, value: float, *, role: str = QUANTITY, percent: bool = False,
        readings: tuple[float, ...] = ()) -> TextNumber:
    line, col = _line_col(text, a)
    return TextNumber(value, a, b, quote(text, a, b), percent, role,
                      tuple(r for r in readings if r != value), line, col, text[a:b])


def text_numbers(text: str) -> list[TextNumber]:
    """Every number of `text` with its readings and role, in order of appearance."""
    out, taken = _clock_numbers(text)
    enumerated = _enumerated_words(text)
    for m in _NUM_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        if m.group("den") and not _simple_fraction(m):
            # "9/150", "52/10", "24/7": two numbers side by side, read one at a time
            for sub in _NUM_RE.finditer(text, m.start(), m.start("den") - 1):
                _add_digit(text, sub, out, taken, enumerated)
            for sub in _NUM_RE.finditer(text, m.start("den"), m.end()):
                _add_digit(text, sub, out, taken, enumerated)
            continue
        _add_digit(text, m, out, taken, enumerated)
    for m in _POINT_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        digits = "".join(str(WORDS.get(w.lower(), 0)) for w in m.group("frac").split())
        out.append(_mk(text, m.start(), m.end(), float(f"{WORDS.get(m.group('int').lower(), 0):g}.{digits}")))
        taken.append((m.start(), m.end()))
    for m in _FRACTION_WORDS.finditer(text):  # "three quarters", "two thirds": one number
        if any(a <= m.start() < b for a, b in taken):
            continue
        num = m.group(1).lower()
        n = float(num) if num.isdigit() else float(WORDS[num])
        out.append(_mk(text, m.start(), m.end(), n / _DENOMINATORS[m.group(2).lower()]))
        taken.append((m.start(), m.end()))
    for m in _COMPOUND_RE.finditer(text):
        if m.group("tens") is None and m.group("mult") is None:
            continue  # a single word: the loop below reads it
        if any(a <= m.start() < b for a, b in taken):
            continue
        head = m.group("base") or m.group("tens")
        v = float(WORDS[head.lower()] + (WORDS[m.group("unit").lower()] if m.group("unit") else 0))
        if m.group("mult"):
            v *= WORDS[m.group("mult").lower()]
        out.append(_mk(text, m.start(), m.end(), v))
        taken.append((m.start(), m.end()))
    for m in _WORD_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        w = m.group(1).lower()
        role = _word_role(text, m, w)
        if role == "ordinal" and w in ORDINALS:  # "the third year" is year 3 (or a third)
            out.append(_mk(text, m.start(), m.end(), float(ORDINALS[w]), role=role, readings=(float(WORDS[w]),)))
        else:
            out.append(_mk(text, m.start(), m.end(), float(WORDS[w]), role=role))
        taken.append((m.start(), m.end()))
    for m in _ORDINAL_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        w = m.group(1).lower()
        if w == "second" and re.search(r"(?:\bper|\ba|\bone|\beach|\bevery|\d)\s*$", text[max(0, m.start() - 8):m.start()],
                                       re.IGNORECASE):
            continue  # "per second": the unit of time
        out.append(_mk(text, m.start(), m.end(), float(ORDINALS[w]), role="ordinal"))
    out.sort(key=lambda t: t.start)
    return out


def _simple_fraction(m: re.Match) -> bool:
    """"1/3", "3/4", "5/8": a fraction read as one number (a proper fraction over a small
    denominator); "9/150" or "52/10" are two numbers."""
    try:
        num, den = float(m.group("num").replace(",", "")), float(m.group("den"))
    except ValueError:
        return False
    return 0 < num < den <= 16 and num == int(num) and den == int(den) and not m.group("sign")


def _add_digit(text: str, m: re.Match, out: list[TextNumber], taken: list[tuple[int, int]],
               enumerated: set[str]) -> None:
    got = _digit_value(m)
    if got is None:
        return
    v, readings, pct = got
    a, b = m.start(), m.end()
    role = _digit_role(text, a, b, m, v, enumerated)
    if role == "clock":  # "8 a.m.", "5 pm": the hour of the day (pm +12)
        ap = _AMPM_AFTER.match(text, b)
        if ap:
            if ap.group("ap").lower().startswith("p") and v < 12:
                readings = (*readings, v)
                v += 12
            b = ap.end()
    out.append(_mk(text, a, b, v, role=role, percent=pct, readings=readings))
    taken.append((a, b))


def _word_role(text: str, m: re.Match, w: str) -> str:
    before = text[max(0, m.start() - 16):m.start()]
    if w in ("third", "quarter") and _ORDINAL_WORD_BEFORE.search(before):
        return "ordinal"
    if w == "quarter" and not re.match(r"s?\s+of\b", text[m.end():m.end() + 6]):
        return "label"  # "the fourth quarter", "per quarter": a period of the year, not 0.25
    if w in ("hundred", "thousand", "million", "billion"):
        after = text[m.end():m.end() + 4]
        # "per thousand gallons", "in thousands", "thousands of dollars": a unit, not a quantity
        if after[:1].lower() == "s" or _UNIT_WORD_CONTEXT.search(before):
            return "unit"
    return QUANTITY


def _enumerated_words(text: str) -> set[str]:
    """Capitalized words followed by at least two different integers ("City 1 … City 2"): names of
    enumerated things, so the integers after them are labels."""
    seen: dict[str, set[str]] = {}
    for m in _CAP_WORD_NUM.finditer(text):
        seen.setdefault(m.group(1).lower(), set()).add(m.group(2))
    return {w for w, nums in seen.items() if len(nums) >= 2 and w not in _CURRENCY_WORDS}


def _digit_role(text: str, a: int, b: int, m: re.Match, v: float, enumerated: set[str]) -> str:
    raw = m.group("num")
    before = text[max(0, a - 40):a]
    after = text[b:b + 16]
    integer = text[a:b].isdigit()
    if a < 40 and _is_exercise_number(text, a):
        return "exercise"
    if integer and _ORDINAL_SUFFIX.match(text, b):
        return "ordinal"
    if integer and re.search(r"_\{?\s*$", text[max(0, a - 3):a]):
        return "label"  # "$p_{3}$", "x_1": an index in a formula
    if _REFERENCE_BEFORE.search(before):
        return "reference"
    if integer and (_AMPM_AFTER.match(after) or _OCLOCK_AFTER.match(after)) and 1 <= v <= 12:
        return "clock"
    if integer and len(raw) <= 2 and _is_list_marker(text, a, b):
        return "list"
    if integer and _is_year_or_date(text, a, b, v, raw):
        return "year"
    if integer and _is_label(text, a, b, before, enumerated):
        return "label"
    if _is_unit_number(text, a, b, v, before):
        return "unit"
    return QUANTITY


def _is_list_marker(text: str, a: int, b: int) -> bool:
    """"1. The…", "; 2) The base fee…", "(3)": the number of an item in a list."""
    if 0 < a < len(text) and text[a - 1] in "([" and text[b:b + 1] in ")]":
        return True
    return bool(_LIST_BEFORE.search(text, max(0, a - 8), a)) and bool(_LIST_AFTER.match(text, b))


def _is_exercise_number(text: str, a: int) -> bool:
    """"1.33 A farm has…", "5.25 A master's student…", "Exercise 3.", "12) A farmer…": the number
    that opens the text and names the exercise."""
    ex = _EXERCISE_START.match(text)
    if ex is None or ex.start("n") != a:
        return False
    n, rest = ex.group("n"), text[ex.end("n"):]
    return ("." in n or not rest[:1].isspace()
            or bool(re.match(r"\s+(?:A|An|The|In|Consider|Suppose|Given|Let|Assume)\b", rest)))


def _is_year_or_date(text: str, a: int, b: int, v: float, raw: str) -> bool:
    before = text[max(0, a - 20):a]
    if 1 <= v <= 31 and _DAY_BEFORE.search(before):
        return True
    if len(raw) == 4 and 1900 <= v <= 2100:
        if _YEAR_BEFORE.search(before):
            return not re.match(r"\s*(?:units|items|pieces|people|tons|kg|dollars|yuan|\$)", text[b:b + 10])
        if re.match(r"\s*[-–/]\s*(?:19|20)\d\d\b", text[b:b + 8]):  # "2023-2024"
            return True
    return False


def _is_label(text: str, a: int, b: int, before: str, enumerated: set[str]) -> bool:
    """"Job 0", "City 3", "machines 1-3", "jobs 1, 2 and 3": a number naming a member of a set."""
    if _UNIT_AFTER_LABEL.match(text[b:b + 12]):
        return False
    head, v = before, int(text[a:b])
    for _ in range(12):
        if _label_head(head, enumerated):
            return True
        # a run of labels: "1-5", "1 to 5", or "1, 2 and 3" counting up
        m = re.search(r"(\d+)\s*(-|–|to|through|thru|and|or|&|,)\s*$", head)
        if not m:
            return False
        prev = int(m.group(1))
        if m.group(2) in (",", "and", "or", "&") and not 1 <= v - prev <= 3:
            return False
        head, v = head[:m.start()], prev
    return False


def _label_head(before: str, enumerated: set[str]) -> bool:
    m = _LABEL_RE.search(before)
    if m and not _LABEL_SKIP_BEFORE.search(before[:m.end()]):
        return True
    w = re.search(r"\b([A-Z][a-z]{2,})\s*$", before)
    return bool(w and w.group(1).lower() in enumerated)


def _is_unit_number(text: str, a: int, b: int, v: float, before: str) -> bool:
    """"in $100,000", "(10^4 yuan)", "unit: 1000": a power of ten that states a unit."""
    if not _pow10(abs(v)):
        return False
    if _UNIT_BEFORE.search(before[-24:]):
        if before.rstrip().endswith("(") or before.rstrip()[-2:].lstrip().startswith("("):
            return bool(_CURRENCY_AFTER.match(text[b:b + 12])) or text[b:b + 2].strip().startswith(")")
        return True
    return False
