"""Index terms for comparing names and descriptions written in Finnish, Swedish and English.

Overlapping services and duplicate pilots are found partly by the words their texts share, so "digituki"
must meet "digituen", "tjänst" must meet "tjänsterna" and "booking" must meet "bookings". Language
detection does not work on a three-word service name, so every rule applies to all text, and the rules
are kept small enough to reason about: a light suffix stripper for the three languages, a little
Finnish consonant gradation, and truncation to a fixed prefix. Prefix truncation is a known strong
baseline for Finnish retrieval (Finnish glues case endings and compound parts onto the stem, and the
first letters carry the stem); the stripping is there for stems shorter than the prefix, where
truncation alone cannot make "hoito" meet "hoidon" or "book" meet "booking".

The terms are keys, not words ("palvelu" gives "palvel", "appointment" gives "apoint"). Overlap scores
are only comparable between texts indexed by the same rules, so VERSION changes whenever a rule does.

Rules (VERSION 1)

1. Normalise: Unicode NFKC, casefold, then drop diacritics except on å, ä and ö ("Botoșani" meets
   "Botosani", "Métropole" meets "metropole", while "tyo" and "työ" stay apart).
2. Split on every character that is not a letter or a digit. Hyphens, slashes, apostrophes and colons
   are separators: "e-tjänster" gives the token "tjänster" (the lone "e" is dropped), "DVV:n" gives
   "dvv", "city's" gives "city". The joined compound ("etjänster") is not emitted: after truncation it
   is usually the first part's term again (a double count) and otherwise a term only the same
   hyphenated spelling would share, while leaving it out lets "e-tjänster" overlap "tjänster".
3. Drop tokens shorter than two characters, pure numbers, and STOPWORDS (one list of Finnish, Swedish
   and English function words, applied to all text).
4. Stem each token (`stem`):
   a. Strip suffixes, again and again while one may go and MIN_STEM (3) letters remain, never the same
      suffix twice; the longest suffix first, Finnish first among equals. Finnish endings apply only to
      words that could be Finnish (no c, q, w, x, z or å, and not two consonants at the start), and
      -n, -t, -ta only after a vowel ("kunta" is not kun + -ta, "event" has no plural -t), -ja only
      after e, o, u, y, ö ("työpaja"), -s only after a vowel other than i ("keskus", "asukas", but
      not "paris"), -n not after "io" ("region" stays whole, as "regional" begins with it). Swedish
      -en, -et, -er, -erna, ... only after a consonant (Swedish vowel stems take -n, -t; "digituen" is
      Finnish). English -s not after s, i, u ("business", "basis", "status"), -es only after ss, x,
      ch, sh (elsewhere -s and rule 4e give the same), -ly only after four letters and not after p.
   b. Right after -ing, -ings or -ed, a doubled final consonant is undoubled ("planning" → "plan"),
      except ss, zz and ll ("skilled"), unless the stem ends in -ell and has six letters ("modelled").
   c. If a Finnish ending that weakens the stem went (genitive -n, plural -t, -ssa, -sta, -lla, -lta,
      -lle, -ksi and their plural -i- forms), the last consonant's weak grade is made strong: d → t
      ("hoidon" → "hoito"), hd → ht, nn → nt ("kunnan" → "kunta"), ng → nk; and a three-letter stem
      whose two vowels make no diphthong has lost a k, which comes back ("tuen" → "tuke").
   d. Double stops become single (kk → k, pp → p, tt → t), the commonest gradation: "asiakas" meets
      "asiakkaan", "botti" meets "botin".
   e. One final vowel, or long vowel, goes while MIN_STEM letters remain ("hoito" → "hoit", "service"
      → "servic", "tietoon" → "tiet").
   f. The stem is cut to PREFIX_LENGTH (6) letters; shorter stems are kept whole. Six is where the
      sample vocabulary is best served: five merges "digitaalinen" with "digituki" and "työpaja" with
      "työpaikka"; seven parts "digituki" from "digituen" and "region" from "regional".

Known limits, accepted:
- A Finnish compound meets its first part: "palvelumuotoilu", "palvelut" and "palveluportfolio" all give
  "palvel" (as "service design" shares "servic" with every service), and different words with the same
  first six letters meet ("communication" / "community", "keskuskaupunki" / "keskusteleva").
- An inflected word and a compound on its nominative can part: "asiakas" gives "asiak" (to meet
  "asiakkaan"), "asiakaspalvelu" gives "asiaka".
- Gradation a dictionary would be needed for is not undone: p/v ("apu" / "avun"), k after a consonant
  ("Turku" / "Turun"), and the inverted gradation of e-stems ("tarve" / "tarpeen").
- A loanword's English and Finnish forms need not meet ("pilot" gives "pil", "pilotti" gives "pilot"),
  and an English verb in silent -e can part from its -ed form when that looks Finnish ("define" /
  "defined").
- Short stems can meet unrelated words ("data" / "date", "help" / "helppoa", "Turin" / "Turun").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

VERSION = 1
PREFIX_LENGTH = 6
MIN_STEM = 3


def _words(text: str) -> list[str]:
    return text.split()


_KEEP_MARKED = frozenset("åäö")
_VOWELS = frozenset("aeiouyåäö")
_NOT_FINNISH = frozenset("cqwxzå")
# What follows the -ks- of "keskuksen" and the -is- of "digitaalisen".
_KS_IS = "en et ia ien een iin ten essa esta ella elta elle eksi ena issa ista illa ilta ille iksi ina ta"
# Two vowels in one Finnish syllable: the stem "tue" (tuki → tuen) has lost a k between its vowels,
# the stems "tie" and "suo" have not.
_DIPHTHONGS = frozenset(_words("ai ei oi ui yi äi öi au eu iu ou ey äy öy ie uo yö aa ee ii oo uu yy ää öö"))

# Function words: words that carry no topic, so that two service names do not look alike because both
# say "for the" or "ja". Spelt as after rule 1.
STOPWORDS = frozenset(
    _words(  # Finnish
        """
        ja tai sekä eli että kuin kun jos jotta koska mutta vaan vai myös vain jo vielä nyt niin sitten
        kuten noin ns esim mm jne yms ei eivät en et emme ette
        on ovat oli olivat olla ole ollut olleet olisi olevat oleva olevan olevien
        se sen sitä siitä siihen sillä ne niiden niitä niistä niihin niillä
        tämä tämän tätä tässä tästä tähän nämä näiden näitä näissä
        tuo tuon nuo joka jonka jota jossa josta johon jotka joiden joita joissa joista joihin
        mikä minkä mitä missä mistä mihin mitkä kuka ketkä
        minä sinä hän me te he meidän teidän heidän oma omat
        kanssa mukaan avulla kautta osalta välillä aikana jälkeen ennen yli alle ilman
        kaikki kaikkea kaikkien kaikille kaikilla kaikissa jokainen muut muiden eri
        """
    )
    + _words(  # Swedish
        """
        och eller samt att det den de dem dom som för på med av till från om vid hos mot genom utan
        under över efter innan mellan är var vara varit blir bli blev har hade ha kan ska skall får
        inte ej men så än då där när här hur vad vilken vilket vilka en ett
        jag du han hon vi ni sig sin sitt sina dess deras denna detta dessa även också alla
        """
    )
    + _words(  # English
        """
        a an the and or nor but if then than so as of to in on at by for from with without into onto
        about over under after before between through via per up out across within during until while
        is are was were be been being am has have had do does did will would shall should can could
        may might must
        it its this that these those which who whom whose what where when how why
        i me my we our us you your he him his she her they them their there here
        not no all any each every both other some such also only very more most
        """
    )
)


def _harmony(endings: str) -> list[str]:
    """Finnish endings in their back-vowel spelling and, where it differs, their front-vowel one."""
    back = _words(endings)
    front = [e.translate(str.maketrans("aou", "äöy")) for e in back]
    return list(dict.fromkeys(back + front))


# Finnish endings, and whether each weakens the stem (rule 4c). Plural forms with -i- and -j- and the
# forms of the -s and -inen words are listed whole, so one strip reaches the stem.
_FINNISH_GROUPS = (
    # Genitive, plural, local cases and translative, singular and plural: these weaken.
    (_harmony("n t ssa sta lla lta lle ksi issa ista illa ilta ille iksi"), True),
    # Plural genitive, illative, partitive, adverb.
    (_harmony("iden itten tten jen ien den ten seen siin hin han hen hon hun ita ta ja a sti"), False),
    # The -s nominative of words whose other forms have -ks- or a long vowel ("keskus" / "keskuksen",
    # "asukas" / "asukkaan", "kysymys" / "kysymyksiin").
    (_harmony("s " + " ".join("ks" + e for e in _words(_KS_IS))), False),
    # The -inen adjectives and -minen nouns: "digitaalinen", "digitaalisen", "digitaalisesti".
    (_harmony("inen isesti " + " ".join("is" + e for e in _words(_KS_IS))), False),
)
_FINNISH: dict[str, bool] = {}
for _endings, _weakens in _FINNISH_GROUPS:
    for _ending in _endings:
        _FINNISH[_ending] = _FINNISH.get(_ending, False) or _weakens
# Where these Finnish endings may follow (rule 4a): "kunta" is not kun + -ta, "event" has no plural -t,
# "työpaja" no plural partitive -ja, "paris" no -s nominative.
_FINNISH_AFTER = {
    **dict.fromkeys(_harmony("n t ta"), _VOWELS),
    **dict.fromkeys(_harmony("ja"), frozenset("eouyö")),
    "s": frozenset("aeouyäö"),
}
_SWEDISH = _words("arnas ernas ornas arna erna orna ens ets en et er")
_ENGLISH = _words("ings ing ied ies ed es s ly")
_UNDOUBLE_AFTER = frozenset(_words("ings ing ed"))
# Every rule as (suffix, weakens the stem, is Finnish), longest suffix first, Finnish first among equals.
_RULES = sorted(
    [(s, w, True) for s, w in _FINNISH.items()]
    + [(s, False, False) for s in dict.fromkeys(_SWEDISH + _ENGLISH)],
    key=lambda rule: (-len(rule[0]), not rule[2], rule[0]),
)


class _Unmarked(dict):
    """A `str.translate` table, filled as characters are met, that drops diacritics except on
    å, ä and ö: translating in C is what keeps tokenising a whole registry fast."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch.isascii() or ch in _KEEP_MARKED:
            folded = ch
        else:
            folded = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        self[code] = folded
        return folded


_UNMARKED = _Unmarked()
_RUNS = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    """NFKC, casefold, and drop diacritics except on å, ä, ö (rule 1)."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return text if text.isascii() else text.translate(_UNMARKED)


def _tokens(text: str) -> list[str]:
    """Maximal runs of letters and digits (rule 2)."""
    return _RUNS.findall(text)


def _could_be_finnish(word: str) -> bool:
    """False for spellings no Finnish word has, so Finnish endings are not stripped from them."""
    if any(ch in _NOT_FINNISH for ch in word):
        return False
    return not (len(word) > 1 and word[0] not in _VOWELS and word[1] not in _VOWELS)


def _may_strip(rest: str, suffix: str, finnish: bool) -> bool:
    """Whether `suffix` may come off, leaving `rest` (the conditions of rule 4a)."""
    if len(rest) < MIN_STEM:
        return False
    last = rest[-1]
    if finnish:
        if suffix in _FINNISH_AFTER and last not in _FINNISH_AFTER[suffix]:
            return False
        return not (suffix == "n" and rest.endswith("io"))
    if suffix == "s":
        return last not in "siu"
    if suffix == "es":
        return last == "x" or rest.endswith(("ss", "ch", "sh"))
    if suffix in _SWEDISH:
        return last not in _VOWELS
    if suffix == "ly":
        return len(rest) >= 4 and last != "p"
    return True


def _strip_once(word: str, finnish: bool, used: set[str]) -> tuple[str, str, bool] | None:
    """The first suffix that may come off `word`, as (rest, suffix, weakens), or None."""
    for suffix, weakens, is_finnish in _RULES:
        if (is_finnish and not finnish) or suffix in used or not word.endswith(suffix):
            continue
        rest = word[: -len(suffix)]
        if _may_strip(rest, suffix, is_finnish):
            return rest, suffix, weakens
    return None


def _doubled(word: str) -> bool:
    """Whether -ing / -ed doubled the last consonant: "planned", "modelled", but not "skilled" (rule 4b)."""
    last = word[-1]
    if last != word[-2] or last in _VOWELS or last in "sz":
        return False
    return last != "l" or (word.endswith("ell") and len(word) >= 6)


def _strengthen(stem: str) -> str:
    """Undo the weak grade of the last consonant (rule 4c)."""
    end = len(stem)
    while end and stem[end - 1] in _VOWELS:
        end -= 1
    start = end
    while start and stem[start - 1] not in _VOWELS:
        start -= 1
    strong = {"d": "t", "hd": "ht", "nn": "nt", "ng": "nk"}.get(stem[start:end])
    if strong and start:
        return stem[:start] + strong + stem[end:]
    if len(stem) == 3 and stem[0] not in _VOWELS and end == 1 and stem[1:] not in _DIPHTHONGS:
        return stem[:2] + "k" + stem[2:]
    return stem


def _undouble_stops(word: str) -> str:
    """kk → k, pp → p, tt → t (rule 4d)."""
    for double in ("kk", "pp", "tt"):
        word = word.replace(double, double[0])
    return word


def _drop_vowel(stem: str) -> str:
    """Drop one final vowel, or a long one, keeping MIN_STEM letters (rule 4e)."""
    if len(stem) - 2 >= MIN_STEM and stem[-1] == stem[-2] and stem[-1] in _VOWELS:
        return stem[:-2]
    if len(stem) - 1 >= MIN_STEM and stem[-1] in _VOWELS:
        return stem[:-1]
    return stem


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """The index term of one token as `terms` splits it (rule 4): a key on which the inflected forms of
    one word meet, not a linguistic stem."""
    finnish = _could_be_finnish(token)
    word, used, weakened = token, set(), False
    while stripped := _strip_once(word, finnish, used):
        word, suffix, weakens = stripped
        used.add(suffix)
        weakened |= weakens
        if suffix in _UNDOUBLE_AFTER and _doubled(word):
            word = word[:-1]
    if weakened:
        word = _strengthen(word)
    return _drop_vowel(_undouble_stops(word))[:PREFIX_LENGTH]


def terms(*texts: str | None) -> list[str]:
    """The index terms of the texts, in order and with duplicates, so callers can count them. None and
    empty texts contribute nothing."""
    return [term for term, _ in words(*texts)]


def words(*texts: str | None) -> list[tuple[str, str]]:
    """(term, the folded word it came from) for each indexed word: reasons show people words, not stems."""
    out: list[tuple[str, str]] = []
    for text in texts:
        if not text:
            continue
        for token in _tokens(_fold(text)):
            if len(token) < 2 or token.isdigit() or token in STOPWORDS:
                continue
            out.append((stem(token), token))
    return out


def term_counts(*texts: str | None) -> Counter[str]:
    """How often each index term occurs in the texts."""
    return Counter(terms(*texts))
