"""Turn a raw completion into a clean example, or drop it with a reason.

Steps, in order: cut at the model's end of turn; cut or strip the output prefix
("Summary:"); strip preambles ("Sure! Here is a summary:") and surrounding quotes; then
drop empty outputs, refusals, truncated outputs (``finish_reason == "length"`` without a
sentence end), echoes of the instruction or a label description, and texts shorter than
``min_words``. Every drop carries one of the :class:`DropReason` values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class DropReason(str, Enum):
    """Why a completion was dropped."""

    EMPTY = "empty"
    REFUSAL = "refusal"
    TRUNCATED = "truncated"
    ECHO = "echo"
    TOO_SHORT = "too_short"


@dataclass(frozen=True)
class ParseResult:
    """``text`` when kept, else ``None`` and the ``reason``."""

    text: str | None
    reason: str | None

    @property
    def kept(self) -> bool:
        return self.text is not None


#: End-of-turn / end-of-text markers of common chat templates; the text is cut at the first.
END_OF_TURN = (
    "<|im_end|>",
    "<|im_start|>",
    "<end_of_turn>",
    "<start_of_turn>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<|endoftext|>",
    "<|end|>",
    "<|assistant|>",
    "<|user|>",
    "</s>",
    "<eos>",
    "[INST]",
    "[/INST]",
)

_OPENERS = r"(?:sure|certainly|of course|okay|ok|absolutely|alright|yes)"
_LEAD_INTERJECTION = re.compile(rf"^\s*{_OPENERS}(?:[!,.:]+|\s+(?=here\b))\s*", re.IGNORECASE)
_HERE_IS = re.compile(
    r"^\s*(?:here(?:'s| is| are)|below is|this is|i've written|i have written)\b[^\n:]{0,120}:\s*",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"^\s*(?:[\"'“]\s*)?(?:(?:i'?m|i am) (?:sorry|afraid|unable|not able)|sorry\b|"
    r"i apologi[sz]e|as an ai\b|as a language model|as an ai language model|"
    r"i (?:cannot|can't|can not|won't|will not|do not feel comfortable)|"
    r"unfortunately,? i (?:cannot|can't|am unable))",
    re.IGNORECASE,
)
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "`": "`"}
_SENTENCE_END = re.compile(r"[.!?…。][\"'”’)\]]*\s*$")
# A sentence end followed by a space and the start of another sentence.
_INNER_SENTENCE_END = re.compile(
    r"(?<![A-Z])(?<!\b[A-Z][a-z])[.!?…。][\"'”’)\]]*(?=\s+[\"'“‘(]?[A-Z0-9])"
)
_NOTE = re.compile(r"\n\s*\n\s*(?:\(?\s*note\b|\*\*note|i hope this|let me know)", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def _norm(text: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(text))


def _cut_end_of_turn(text: str) -> str:
    cut = len(text)
    for marker in END_OF_TURN:
        i = text.find(marker)
        if i != -1:
            cut = min(cut, i)
    return text[:cut]


def _apply_prefix(text: str, prefix: str) -> str:
    prefix = prefix.strip()
    if not prefix:
        return text
    stripped = text.lstrip()
    if stripped.lower().startswith(prefix.lower()):
        return stripped[len(prefix) :]
    m = re.search(rf"(?im)^[ \t]*{re.escape(prefix)}", text)
    if m is None:
        return text
    before = text[: m.start()].strip()
    # "Here is the summary:\nSummary: ..." -> keep what follows; a real text followed by a
    # second "Summary:" line (the model starting another example) -> keep what precedes.
    if not before or before.endswith(":"):
        return text[m.end() :]
    return text[: m.start()]


def _strip_preamble(text: str) -> str:
    out = _LEAD_INTERJECTION.sub("", text, count=1)
    out = _HERE_IS.sub("", out, count=1)
    lines = out.lstrip().split("\n", 1)
    # A short first line ending with ':' ("A 2-sentence summary about sports:") is a preamble.
    if len(lines) == 2 and lines[0].rstrip().endswith(":") and len(lines[0].split()) <= 15:
        out = lines[1]
    return out if out.strip() else text


def _strip_quotes(text: str) -> str:
    text = text.strip()
    for _ in range(2):  # "“...”" nested once at most
        if len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]]:
            inner = text[1:-1]
            if _QUOTES[text[0]] not in inner or text[0] in "“‘«":
                text = inner.strip()
                continue
        break
    if text[:1] in _QUOTES and text.count(text[0]) == 1 and _QUOTES[text[0]] not in text[1:]:
        text = text[1:].strip()  # an opening quote never closed (cut at a stop sequence)
    if text.startswith("**") and text.endswith("**") and len(text) > 4:
        text = text[2:-2].strip()
    return text


def parse_completion(
    text: str | None,
    *,
    output_prefix: str = "",
    finish_reason: str = "stop",
    echo_phrases: Sequence[str] = (),
    min_words: int = 3,
) -> ParseResult:
    """Clean ``text`` or say why it is dropped (see the module docstring)."""
    if text is None or not text.strip():
        return ParseResult(None, DropReason.EMPTY.value)
    out = _cut_end_of_turn(text)
    out = _apply_prefix(out, output_prefix)
    out = _strip_preamble(out)
    m = _NOTE.search(out)
    if m:
        out = out[: m.start()]
    out = _strip_quotes(out)
    out = re.sub(r"[ \t]+", " ", out).strip()
    if not out:
        return ParseResult(None, DropReason.EMPTY.value)
    if _REFUSAL.match(out):
        return ParseResult(None, DropReason.REFUSAL.value)
    if finish_reason == "length" and not _SENTENCE_END.search(out):
        # Cut mid-sentence by the length cap: keep the complete sentences, if any.
        ends = list(_INNER_SENTENCE_END.finditer(out))
        if not ends:
            return ParseResult(None, DropReason.TRUNCATED.value)
        out = out[: ends[-1].end()].rstrip()
    normed = _norm(out)
    for phrase in echo_phrases:
        p = _norm(phrase)
        if p and (normed == p or (len(p.split()) >= 5 and p in normed)):
            return ParseResult(None, DropReason.ECHO.value)
    if len(_WORD.findall(out)) < min_words:
        return ParseResult(None, DropReason.TOO_SHORT.value)
    return ParseResult(out, None)
