"""Text normalisation, tokenisation and similarity of needs to capabilities.

Pipeline: :func:`normalize` (NFKC full-width -> half-width, lower case, punctuation and symbols
to spaces, whitespace collapsed) -> :func:`tokenize` (Chinese runs segmented with jieba, or
split into characters with ``mode="chars"``; English words lightly stemmed; stop words
dropped) -> :func:`prepare` (sorted unique tokens joined by spaces) -> :func:`similarity`
(rapidfuzz ``token_set_ratio`` of the prepared strings, in [0, 1]).

For bulk work :func:`prepare_many` caches by text and :func:`pairwise_similarity` scores
aligned lists with ``rapidfuzz.process.cpdist`` on all cores; :func:`tfidf_matrix` gives sparse
L2-normalised token vectors whose dot products approximate the similarity for fast pruning.

jieba is imported on first use, with a private dictionary instance (the global jieba state is
left alone) and its log messages silenced.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # numpy is imported where it is used: ``import matching`` stays cheap
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "normalize",
    "tokenize",
    "prepare",
    "prepare_many",
    "similarity",
    "pairwise_similarity",
    "tfidf_matrix",
    "clear_cache",
    "expand",
    "SKILL_MARK",
    "STOPWORDS",
    "DOMAIN_WORDS",
]

Mode = Literal["words", "chars"]

#: Function words and words that every project text contains (they carry no signal).
STOPWORDS: frozenset[str] = frozenset(
    ["的", "了", "和", "与", "及", "或", "为", "在", "对", "等", "并", "将", "把", "被", "由", "以", "之", "其", "及其", "以及", "并且", "等等", "通过", "进行", "开展", "提供", "相关", "各类", "各种", "一些", "有关", "专注", "致力于", "致力", "服务", "工作", "项目", "活动", "我们", "我们的", "为了", "面向", "针对", "包括", "主要", "能够", "可以", "负责", "实施", "组织", "承接", "多年", "经验", "具有", "具备", "拥有", "从事", "一个", "一支", "这个", "该", "每", "个", "次", "年", "月", "人", "the", "a", "an", "and", "or", "for", "of", "to", "in", "on", "at", "by", "with", "from", "as", "is", "are", "be", "been", "we", "our", "us", "it", "its", "this", "that", "these", "those", "provide", "provides", "providing", "provided", "service", "services", "offer", "offers", "offering", "work", "works", "project", "projects", "including", "include", "includes", "such", "other", "various", "all", "any", "more", "most"]
)

#: Domain words added to jieba's dictionary so that they stay whole.
DOMAIN_WORDS: tuple[str, ...] = (
    "独居老人", "空巢老人", "长者", "助餐", "送餐", "配餐", "长者饭堂", "适老化", "日间照料",
    "喘息服务", "认知症", "失能", "助残", "残障", "辅具", "无障碍", "四点半课堂", "课后托管",
    "青少年", "儿童友好", "亲子", "心理疏导", "居民议事", "议事会", "楼栋长", "志愿者",
    "垃圾分类", "低碳", "社区花园", "普法", "法律援助", "调解", "创业", "消防", "防诈骗", "文体",
    "广场舞", "非遗", "社区营造", "民生微实事", "城中村", "来深建设者", "新市民", "社工",
    "个案管理", "长者大学",
)

_NON_WORD = re.compile(r"[\W_]+")  # punctuation, symbols, whitespace (CJK counts as \w)
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:[.'][a-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_lock = threading.Lock()
_tokenizer: Any = None
_RUN_CACHE: dict[str, tuple[str, ...]] = {}
_RUN_CACHE_MAX = 200_000


def normalize(text: str) -> str:
    """Normalise text for comparison.

    Full-width characters become half-width (NFKC), letters lower case, punctuation and
    symbols (Chinese and Western) become spaces, and runs of whitespace one space.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> normalize("ＡＢＣ，  Elderly　Care！（助餐）")
    'abc elderly care 助餐'
    """
    if not isinstance(text, str):
        raise ValueError(f"text: must be a str, got {type(text).__name__}")
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def _jieba() -> Any:
    """The private jieba tokenizer, created once (loading takes about a second)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba  # imported lazily: heavy, and noisy on stderr

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for word in DOMAIN_WORDS:
                    tok.add_word(word, freq=50_000)
                _tokenizer = tok
    return _tokenizer


def _stem(word: str) -> str:
    """Very light English stemming: plural and -ing endings."""
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokenize(text: str, *, mode: Mode = "words") -> list[str]:
    """Split text into comparable tokens.

    Chinese runs are segmented with jieba (``mode="words"``) or split into single characters
    (``mode="chars"``); English words and numbers are kept whole and lightly stemmed; stop
    words are dropped.

    Parameters
    ----------
    text : str
    mode : {"words", "chars"}

    Returns
    -------
    list of str
        Tokens in text order (duplicates kept).

    Examples
    --------
    >>> tokenize("为辖区独居老人提供上门助餐服务")
    ['辖区', '独居老人', '上门', '助餐']
    >>> tokenize("Home meal delivery for isolated elderly residents")
    ['home', 'meal', 'delivery', 'isolated', 'elderly', 'resident']
    >>> tokenize("助餐 meals", mode="chars")
    ['助', '餐', 'meal']
    """
    if mode not in ("words", "chars"):
        raise ValueError(f"mode: must be 'words' or 'chars', got {mode!r}")
    norm = normalize(text)
    tokens: list[str] = []
    for run in _RUN.findall(norm):
        if _CJK.match(run):
            if mode == "chars":
                tokens.extend(ch for ch in run if ch not in STOPWORDS)
            else:
                tokens.extend(_cut(run))
        elif run not in STOPWORDS:
            stem = _stem(run)
            if stem not in STOPWORDS:
                tokens.append(stem)
    return tokens


def clear_cache() -> None:
    """Forget cached segmentations (the jieba dictionary itself stays loaded).

    >>> clear_cache()
    """
    _RUN_CACHE.clear()


def _cut(run: str) -> tuple[str, ...]:
    """jieba words of one Chinese run, stop words removed (cached: phrases repeat a lot)."""
    words = _RUN_CACHE.get(run)
    if words is None:
        words = tuple(w for w in _jieba().lcut(run, HMM=False) if w not in STOPWORDS)
        if len(_RUN_CACHE) >= _RUN_CACHE_MAX:
            _RUN_CACHE.clear()
        _RUN_CACHE[run] = words
    return words


def prepare(text: str, *, mode: Mode = "words") -> str:
    """Canonical token string used by the similarity: sorted unique tokens joined by spaces.

    >>> prepare("助餐、探访；助餐")
    '助餐 探访'
    """
    return " ".join(sorted(set(tokenize(text, mode=mode))))


#: Prefix of the tokens that stand for a skill of the sector vocabulary (never produced by
#: :func:`tokenize`, which drops symbols).
SKILL_MARK = "§"


def expand(prepared: str, skills: Collection[str]) -> str:
    """A prepared string with one token per skill added (``SKILL_MARK`` + skill name), so that a
    skill named on both sides, in whatever words, is a shared token.

    >>> expand("上门 长者", ["居家养老"])
    '§居家养老 上门 长者'
    >>> expand("上门", [])
    '上门'
    """
    if not skills:
        return prepared
    tokens = set(prepared.split()) | {SKILL_MARK + skill for skill in skills}
    return " ".join(sorted(tokens))


def prepare_many(texts: Sequence[str], *, mode: Mode = "words") -> list[str]:
    """:func:`prepare` for many texts, computing each distinct text once.

    >>> prepare_many(["长者助餐", "长者助餐", "儿童托管"])
    ['助餐 长者', '助餐 长者', '儿童 托管']
    """
    cache: dict[str, str] = {}
    out = []
    for text in texts:
        prepared = cache.get(text)
        if prepared is None:
            prepared = cache[text] = prepare(text, mode=mode)
        out.append(prepared)
    return out


def similarity(needs: str, capability: str, *, mode: Mode = "words",
               prepared: bool = False) -> float:
    """Similarity in [0, 1] of a project's needs to a provider's capabilities.

    rapidfuzz ``token_set_ratio`` of the prepared token strings: word order does not matter,
    and a need fully covered by the capabilities (or vice versa) scores high.  Empty texts
    score 0.

    Parameters
    ----------
    needs, capability : str
        Raw texts, or prepared strings if ``prepared=True``.
    mode : {"words", "chars"}
    prepared : bool
        Skip :func:`prepare` because the inputs are already prepared.

    Returns
    -------
    float

    Examples
    --------
    >>> s = similarity("为辖区独居老人提供上门助餐、探访和健康监测服务",
    ...                "专注居家养老、助餐配送、长者健康管理")
    >>> t = similarity("为辖区独居老人提供上门助餐、探访和健康监测服务",
    ...                "青少年课后托管与亲子阅读")
    >>> s > t
    True
    """
    from rapidfuzz import fuzz

    a = needs if prepared else prepare(needs, mode=mode)
    b = capability if prepared else prepare(capability, mode=mode)
    if not a or not b:
        return 0.0
    return fuzz.token_set_ratio(a, b, processor=None) / 100.0


def pairwise_similarity(needs: Sequence[str], capabilities: Sequence[str], *,
                        workers: int = -1) -> npt.NDArray[np.float64]:
    """Similarities of aligned lists of *prepared* strings, in [0, 1], as a numpy array.

    Uses ``rapidfuzz.process.cpdist`` (element-wise, parallel over ``workers`` cores).

    >>> pairwise_similarity(["助餐 长者", ""], ["助餐 长者", "助餐"]).tolist()
    [1.0, 0.0]
    """
    import numpy as np
    from rapidfuzz import fuzz, process

    if len(needs) != len(capabilities):
        raise ValueError("capabilities: must have the same length as needs")
    if not len(needs):
        return np.zeros(0, dtype=np.float64)
    scores = process.cpdist(needs, capabilities, scorer=fuzz.token_set_ratio,
                            workers=workers, dtype=np.float64)
    out = scores.astype(np.float64).reshape(-1) / 100.0
    # rapidfuzz scores two empty strings as 100: an empty text has no evidence
    empty = np.fromiter((not a or not b for a, b in zip(needs, capabilities)), dtype=bool,
                        count=len(needs))
    out[empty] = 0.0
    return out


def tfidf_matrix(prepared: Sequence[str], *, vocabulary: dict[str, int] | None = None,
                 idf: npt.ArrayLike | None = None, bigram_weight: float = 0.5
                 ) -> tuple[Any, dict[str, int], npt.NDArray[np.float64]]:
    """Sparse L2-normalised tf-idf vectors of prepared strings (tokens + CJK bigrams).

    Features are the tokens themselves plus, at ``bigram_weight``, the character bigrams
    inside Chinese tokens (so that 老年人 and 老人 share something).  Pass ``vocabulary`` and
    ``idf`` from a first call to vectorise a second collection in the same space.

    Returns
    -------
    (scipy.sparse.csr_matrix, dict, numpy.ndarray)
        Matrix (rows = texts), vocabulary, idf weights.

    Examples
    --------
    >>> m, vocab, idf = tfidf_matrix(["助餐 长者", "儿童 托管"])
    >>> round(float((m @ m.T).toarray()[0, 1]), 3)
    0.0
    """
    import numpy as np
    from scipy import sparse

    grow = vocabulary is None
    vocab: dict[str, int] = {} if vocabulary is None else vocabulary
    indptr = [0]
    cols: list[int] = []
    vals: list[float] = []
    for text in prepared:
        keys: list[str] = []
        weights: list[float] = []
        for tok in text.split():
            keys.append(tok)
            weights.append(1.0)
            if len(tok) > 2 and _CJK.match(tok):
                for i in range(len(tok) - 1):
                    keys.append("#" + tok[i:i + 2])
                    weights.append(bigram_weight)
        if grow:
            cols.extend([vocab.setdefault(key, len(vocab)) for key in keys])
            vals.extend(weights)
        else:
            for key, weight in zip(keys, weights):
                j = vocab.get(key)
                if j is not None:
                    cols.append(j)
                    vals.append(weight)
        indptr.append(len(cols))
    n_feat = len(vocab)
    mat = sparse.csr_matrix((np.asarray(vals, dtype=np.float64), np.asarray(cols, dtype=np.int64),
                             np.asarray(indptr, dtype=np.int64)), shape=(len(prepared), n_feat))
    mat.sum_duplicates()
    weights_idf: npt.NDArray[np.float64]
    if idf is None:
        df = np.bincount(mat.indices, minlength=n_feat).astype(np.float64)
        weights_idf = np.log((1.0 + mat.shape[0]) / (1.0 + df)) + 1.0
    else:
        weights_idf = np.asarray(idf, dtype=np.float64)
        if len(weights_idf) < n_feat:
            raise ValueError("idf: shorter than the vocabulary")
    mat = mat.multiply(weights_idf[:n_feat][None, :]).tocsr()
    norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).reshape(-1))
    norms[norms == 0] = 1.0
    mat = sparse.diags(1.0 / norms) @ mat
    return mat.tocsr(), vocab, weights_idf
