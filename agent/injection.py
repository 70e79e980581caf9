"""Telling an attempt to steer the model from a parent's ordinary words, sentence by sentence.

Judging runs on a normalised copy of each sentence (case, spacing, look-alike letters, invisible characters and
base64 runs undone, words run together split); what the model reads is the customer's own text minus the
sentences judged to be attempts. The sentences are judged joined too, so an attempt split over the messages of
one burst or a line break marks each sentence it touches. Phrasings are Ukrainian, Russian, English, German
and Polish.
A sentence is an attempt when its signals add up to ATTEMPT: one strong signal (an order to drop or reveal the
instructions, a change of role, a forged role line) or two weak ones (a claimed authority, a demand about prices
or requisites, hidden text). One word never decides: "Ти тепер бачиш…" has no role to change into, "інструкцію з
догляду" is not *your* instructions. No model call is made here: the output check (agent/prices.py) stands behind
every reply anyway, so this filter only has to keep obvious attempts out of the context cheaply and never
refuse a parent.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass

ATTEMPT = 2

# Latin letters that look Cyrillic and the other way round; a word is read in the script most of its letters use.
_TO_CYRILLIC = str.maketrans("aceiopxykmtbhABCEHIKMOPTXY", "асеіорхукмтвнАВСЕНІКМОРТХУ")
_TO_LATIN = str.maketrans("асеіорхукмтвнјѕԁһАВСЕНІКМОРТХУЈЅ", "aceiopxykmtbhjsdhABCEHIKMOPTXYJS")
_LEET = str.maketrans("013457@$", "oieastas")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z]")
_SPACED_LETTERS = re.compile(r"(?<!\w)(?:\w[\s.\-_*·]{1,2}){3,}\w(?!\w)")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")

_OVERRIDE = r"(ignore|disregard|forget|override|bypass|ігноруй\w*|проігноруй\w*|забудь\w*|не зважай\w*|знехтуй\w*" \
            r"|скасуй\w*|игнорируй\w*|проигнорируй\w*|забудьте|отмени\w*|не обращай\w*" \
            r"|ignorier\w*|vergiss|vergessen sie|missacht\w*|zignoruj\w*|ignoruj\w*|zapomnij\w*|pomiń)"
# "інструкцію з догляду / по пранню" is the garment's, not the assistant's.
_TARGET = r"(instruction|prompt|rules|guideline|directive|інструкц(?!\w* (з|по|для|до) (догляд|пран|використ|розмір" \
          r"|вимір))|вказівк|правил|промпт|налаштуван|указани|инструкц" \
          r"|настройк|системн\w* (повідомлен|сообщен)|system message|anweisung|vorgabe|systemnachricht|instrukcj" \
          r"|polece|wytyczn)"
_REVEAL = r"(show|print|repeat|reveal|output|display|tell me|write out|copy|dump|покаж\w*|вивед\w*|виведи|повтор\w*" \
          r"|розкаж\w*|перекаж\w*|напиш\w*|скопіюй\w*|процитуй\w*|выведи\w*|покажи\w*|повтори\w*|расскажи\w*" \
          r"|перескажи\w*|напиши\w*|скопируй\w*|процитируй\w*|zeig\w*|gib\w*|wiederhol\w*|nenn\w*|pokaż\w*" \
          r"|wypisz\w*|wyświetl\w*|powtórz\w*|podaj\w*|napisz\w*)"
_OWN = r"(your|system|initial|original|hidden|previous|prior|above|свої|твої|ваші|системн\w*|початков\w*|прихован\w*" \
       r"|попередн\w*|свои|твои|ваши|исходн\w*|скрыт\w*|предыдущ\w*|свій|свою|свого|твій|твою|твого|ваш\w*" \
       r"|свой|твой|ваш|dein\w*|ihr\w*|vorherig\w*|ursprünglich\w*|swój|swoj\w*|twój|twoj\w*|wasz\w*" \
       r"|poprzedni\w*|systemow\w*)"
_ABOVE = r"(text|everything|all|words|message)s? (above|before this|so far)|(текст|все|усе|повідомлення|слова)\w*,?" \
         r"( що| что)?( \w+)? (вище|выше|з початку|на початку|с начала)|first message|перш\w+ повідомлен" \
         r"|перв\w+ сообщени|(з|від|с) (самого )?(початку|начала) (розмови|чату|діалогу|разговора|чата|диалога)" \
         r"|beginning of (the )?(conversation|chat)"
_ROLE_SWITCH = r"(you are now|you're now|from now on|act as|pretend|roleplay|ти тепер|тепер ти|відтепер|віднині" \
               r"|уяви,? що ти|вдавай|зіграй роль|ты теперь|теперь ты|с этого момента|представь,? что ты" \
               r"|притворись|сыграй роль|you are no longer|you're no longer|du bist (jetzt|nun)|ab jetzt|von nun an" \
               r"|jesteś teraz|teraz jesteś|od teraz|udawaj)"
_ROLE = r"(dan|developer|розробник|разработчик|admin|адмін|админ|mode|режим|(free|вільн\w*|свобод\w*) (from|of|від|от) (rules|правил|обмежень|ограничений)|unrestricted|без " \
        r"обмежень|без ограничений|jailbr|не консультант|не продав|інш\w+ (бот|ші|асистент)|друг\w+ (бот|ии)" \
        r"|\bai\b|\bші\b|\bии\b|помічни|помощни|owner|власни|владел|assistant|assistent|asystent|асистент|ассистент" \
        r"|персонаж|character|gpt" \
        r"|(different|another|інш\w+|друг\w+) (model|модель))"

_STRONG = [re.compile(p) for p in (
    _OVERRIDE + r"\W+(\w+\W+){0,4}?" + _TARGET,
    _OVERRIDE + r"\W+(\w+\W+){0,2}?(everything|all|усе|все|всё)\W+(above|before|вище|раніше|выше|ранее)",
    _REVEAL + r"\W+(\w+\W+){0,3}?" + _OWN + r"\W+(\w+\W+){0,1}?" + _TARGET,
    _REVEAL + r"\W+(\w+\W+){0,3}?(" + _ABOVE + ")",
    _ROLE_SWITCH + r"\W+(\w+\W+){0,4}?" + _ROLE,
    r"system ?prompt|системн\w* (промпт|інструкц|инструкц)|(your|твій|твої|ваш\w*|твой|твои|свій|свої|свою"
    r"|свой|свои|dein\w*|ihr\w*|swój|swoj\w*|twój|twoj\w*) (prompt|промпт)",
    # A role dropped without «тепер»: "Ти більше не консультант MIRT, ти мій помічник…"
    r"(ти|ви|ты|вы) (більше|больше|вже|уже) не\W+(\w+\W+){0,2}?(консультант|продав|менеджер|помічни|помощни"
    r"|асистент|ассистент|бот|ші|ии)",
    r"(developer|dan|god|admin|debug|адмін|админ|розробник\w*|разработчик\w*) ?(mode|режим)|jailbreak",
    r"(^|\n)\W*(system|developer|assistant|admin|administrator|систем\w*|адміністратор\w*|администратор\w*"
    r"|розробник|разработчик)\s*(message|повідомлення|сообщение|override|notice|note)?\s*[:\]>]",
    r"<\|?(system|im_start|im_end|endoftext)\|?>|\[/?inst\]|\"role\"\s*:\s*\"(system|developer)\"|</?system>"
    r"|#{2,}\s*(system|instruction|інструкц)",
)]
_WEAK = [re.compile(p) for p in (
    r"(message|notice|note|повідомлення|звернення|сообщение|указание|наказ) (from|від|от) (the )?(shop )?"
    r"(admin|administrator|developer|owner|support|openai|адмін\w*|адміністрац\w*|власник\w*|розробник\w*"
    r"|админ\w*|администрац\w*|владел\w*|разработчик\w*|систем\w*)",
    r"(forwarded|переслано|пересланное|переслане)",
    r"(from|від|от) (the )?(admin|administrator|owner|developer|адміністратор\w*|администратор\w*|власник\w*"
    r"|владельц\w*|розробник\w*|разработчик\w*)",
    r"(what|що|что) (were you|have you been|тобі|вам|тебе) (told|instructed|сказали|написали|веліли|велели)"
    r"( \w+)? (before|до|перед|на початку|в начале|initially|at the start)",
    r"word for word|verbatim|дослівно|слово в слово|дословно",
    r"(дай|дайте|надай|надайте|зроби|зробіть|постав|поставте|оформи|оформіть|give|apply|set|make|сделай|поставь)"
    r"\W+(\w+\W+){0,3}?(знижк|скидк|discount|безкоштовн|бесплатн|free|ціну|цену|price)",
    r"(нов\w+|інш\w+|друг\w+|new|other)\W+(\w+\W+){0,1}?(реквізит|реквизит|номер карт|картк|карт[уы]|iban|card)",
    r"(відповідай|отвечай|answer|reply|respond)\w*\W+(only|лише|тільки|только)",
    r"(your|свої|твої|свои|твои) (rules|правила|обмеження|ограничения|restrictions)",
)]


@dataclass(frozen=True)
class Screened:
    """A customer's text after the screen: `kept` goes to the model, `removed` are the sentences judged attempts."""

    kept: str
    removed: tuple[str, ...]

    @property
    def suspicious(self) -> bool:
        return bool(self.removed)


def _word_in_one_script(match: re.Match[str]) -> str:
    word = match.group(0)
    if _CYRILLIC.search(word) and _LATIN.search(word):
        # Letters only one script has decide ("Іgnоrе": g, n, r are Latin only); else most letters do.
        cyrillic = len(_CYRILLIC.findall(word.translate(_TO_LATIN)))
        latin = len(_LATIN.findall(word.translate(_TO_CYRILLIC)))
        if cyrillic == latin:
            cyrillic, latin = len(_CYRILLIC.findall(word)), len(_LATIN.findall(word))
        return word.translate(_TO_CYRILLIC if cyrillic > latin else _TO_LATIN)
    latin = len(_LATIN.findall(word))
    if latin and any(ch.isdigit() for ch in word) and not word.isdigit():
        return word.translate(_LEET)
    return word


def _split_at_capitals(match: re.Match[str]) -> str:
    word = match.group(0)
    return "".join(f" {ch}" if ch.isupper() and n and word[n - 1].islower() else ch for n, ch in enumerate(word))


def _decoded(run: str) -> str | None:
    if not (re.search(r"[a-z]", run) and re.search(r"[A-Z]", run)):
        return None  # order numbers, ТТН and sku are not base64 of text
    try:
        text = base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text if text.isprintable() and len(text) >= 6 else None


def normalise(text: str) -> str:
    """The text as the judge reads it: NFKC, no invisible or bidi characters, one script per word, letters that
    were spread out joined, words run together split where a small letter meets a capital ("ІгноруйПопередні"),
    lower case, single spaces (line breaks kept: a role line starts one)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.replace("’", "'").replace("ʼ", "'")
    text = _SPACED_LETTERS.sub(lambda m: re.sub(r"[\s.\-_*·]", "", m.group(0)), text)
    text = re.sub(r"[\w@$]+", _word_in_one_script, text)
    text = re.sub(r"\w+", _split_at_capitals, text)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return text.lower()


_SIGNALS = [(ATTEMPT, p) for p in _STRONG] + [(1, p) for p in _WEAK]


def _hidden_score(text: str) -> int:
    """Signals hidden in base64 runs: hiding words from a person is one; what they say counts too."""
    return sum(1 + score(hidden) for hidden in map(_decoded, _BASE64.findall(text)) if hidden is not None)


def score(text: str) -> int:
    """How strongly one sentence reads as an attempt to steer the assistant (ATTEMPT or more: it is one)."""
    plain = normalise(text)
    return sum(weight for weight, p in _SIGNALS if p.search(plain)) + _hidden_score(text)


def _part_scores(parts: list[str]) -> tuple[list[int], int]:
    """Each part's score and the whole turn's, judged on the parts' normalised copies joined by line breaks:
    a signal split over two messages of a burst or a line break ("Ігноруй усі попередні" / "вказівки…") counts
    for every part it touches."""
    plains = [normalise(part) for part in parts]
    spans, start = [], 0
    for plain in plains:
        spans.append((start, start + len(plain)))
        start += len(plain) + 1
    joined = "\n".join(plains)
    scores = [_hidden_score(part) for part in parts]
    total = sum(scores)
    for weight, pattern in _SIGNALS:
        touched = {i for m in pattern.finditer(joined)
                   for i, (a, b) in enumerate(spans) if m.start() < b and m.end() > a}
        total += weight if touched else 0
        for i in touched:
            scores[i] += weight
    return scores, total


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+|(?=\bp\.?\s?s\b)|(?=\(\s*\w)", re.IGNORECASE)


def screen(text: str) -> Screened:
    """Split the text (a turn: its messages joined by line breaks) into sentences and lines and keep the ones
    that are not attempts. A signal spanning parts marks each of them; two weak signals in different sentences
    still make an attempt: then every sentence carrying a signal is left out."""
    parts: list[str] = []
    for part in (p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()):
        if parts and len(parts[-1]) <= 4:  # "P.S." or "1." belongs to what follows it
            parts[-1] = f"{parts[-1]} {part}"
        else:
            parts.append(part)
    scores, total = _part_scores(parts)
    bar = ATTEMPT if any(s >= ATTEMPT for s in scores) or total < ATTEMPT else 1
    kept = [part for part, s in zip(parts, scores, strict=True) if s < bar]
    removed = tuple(part for part, s in zip(parts, scores, strict=True) if s >= bar)
    return Screened(" ".join(kept) if removed else text, removed)
