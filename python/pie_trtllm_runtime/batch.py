"""Checks a Pie forward batch and splits it into requests, each either usable or failed with a code.

The TypeScript adapter gates requests before they arrive; this is the second line, so the runtime
answers every request correctly whoever sends it."""

from .codes import (
    INVALID_REQUEST,
    UNSUPPORTED_ADAPTER,
    UNSUPPORTED_ATTENTION_MASK,
    UNSUPPORTED_LOGIT_MASK,
    UNSUPPORTED_MULTIMODAL,
    UNSUPPORTED_SAMPLER_LAYOUT,
    UNSUPPORTED_SPECULATION,
    RequestError,
)
from .batch_error import BatchError
from .shown import shown
from .packing import unpack_arrays
from .sampling import parse_sampler

__all__ = ["BatchError", "Request", "decode_columns", "parse_batch", "unpacked"]


class Request:
    """One usable request: tokens at positions of one context, and its sampler (None: prefill only)."""

    __slots__ = ("context_id", "tokens", "positions", "sampler")

    def __init__(self, context_id, tokens, positions, sampler):
        self.context_id = context_id
        self.tokens = tokens
        self.positions = positions
        self.sampler = sampler


def _int_list(batch, key, required):
    value = batch.get(key)
    if value is None:
        if required:
            raise BatchError("the batch needs %r" % key)
        return None
    if not isinstance(value, list):
        raise BatchError("%r must be an array" % key)
    return value


def _indptr(batch, key, size, total=None, start_at_zero=True):
    indptr = batch.get(key)
    if indptr is None:
        return None
    if not isinstance(indptr, list) or len(indptr) != size + 1:
        raise BatchError("%r must have %d entries (requests + 1)" % (key, size + 1), size)
    # Checked in C: integers (not bools), non-negative, non-decreasing (sorting a sorted list is linear).
    if not set(map(type, indptr)) <= _INT or min(indptr) < 0 or indptr != sorted(indptr):
        raise BatchError("%r must be non-decreasing non-negative integers" % key, size)
    if start_at_zero and indptr[0] != 0:
        raise BatchError("%r must start at 0" % key, size)
    if total is not None and indptr[-1] != total:
        raise BatchError("%r ends at %d but there are %d entries" % (key, indptr[-1], total), size)
    return indptr


def _paired(batch, values_key, indptr_key, size):
    values = batch.get(values_key)
    indptr = batch.get(indptr_key)
    if values is not None and not isinstance(values, list):
        raise BatchError("%r must be an array" % values_key, size)
    if values and indptr is None:
        raise BatchError("%r needs %r" % (values_key, indptr_key), size)
    if indptr is None:
        return None, None
    return values or [], _indptr(batch, indptr_key, size, len(values or []))


def _check_mask_row(row, position):
    """INVALID_REQUEST for a row that does not describe position+1 keys; UNSUPPORTED for a non-causal one."""
    if not isinstance(row, list) or any(isinstance(r, bool) or not isinstance(r, int) or r < 0 for r in row):
        raise RequestError(INVALID_REQUEST, "a mask row must be a list of non-negative run lengths")
    if sum(row) != position + 1:
        raise RequestError(INVALID_REQUEST, "the mask row for position %d covers %d keys, not %d" % (position, sum(row), position + 1))
    # Runs alternate false, true, false, ...: causal is no false run first, then all true.
    if len(row) < 2 or row[0] != 0 or row[1] != position + 1:
        raise RequestError(
            UNSUPPORTED_ATTENTION_MASK,
            "the attention mask of position %d is not causal; TensorRT-LLM's LLM API supports causal attention only" % position,
        )


def unpacked(batch):
    """The batch with its packed arrays (the driver's compact form) decoded into lists."""
    if not isinstance(batch, dict):
        raise BatchError("the batch must be an object")
    if "packed" not in batch:
        return batch
    out = dict(batch, **unpack_arrays(batch["packed"]))
    del out["packed"]
    # A decode step leaves out what it implies: one token per request, one shared sampler.
    size = len(out.get("context_ids") or ())
    if "qo_indptr" not in out and len(out.get("token_ids") or ()) == size:
        out["qo_indptr"] = list(range(size + 1))
    if "sampler_index" not in out and isinstance(out.get("sampler_table"), list) and len(out["sampler_table"]) == 1:
        out["sampler_index"] = [0] * size
    return out


_DECODE_KEYS = frozenset(("token_ids", "position_ids", "qo_indptr", "context_ids", "sampler_table", "sampler_index"))


def decode_columns(batch, unsigned=False):
    """(context_ids, token_ids, position_ids, sampler) when the batch is a plain decode step in the
    driver's layout (one token and the same token sampler per request, distinct contexts, nothing
    else); None for any other batch, which then takes the general path. `unsigned`: the
    arrays were unpacked from unsigned integers, so they hold non-negative ints by construction."""
    if not _DECODE_KEYS.issuperset(batch):
        return None
    context_ids, token_ids, position_ids = batch.get("context_ids"), batch.get("token_ids"), batch.get("position_ids")
    table, index, qo = batch.get("sampler_table"), batch.get("sampler_index"), batch.get("qo_indptr")
    if not (isinstance(context_ids, list) and isinstance(token_ids, list) and isinstance(position_ids, list) and isinstance(table, list)
            and isinstance(index, list) and isinstance(qo, list)):
        return None
    size = len(context_ids)
    if not size or len(token_ids) != size or len(position_ids) != size or len(index) != size or len(table) != 1:
        return None
    if qo != list(range(size + 1)) or min(index) != 0 or max(index) != 0 or len(set(context_ids)) != size:
        return None
    if not unsigned and not (_all_counts(context_ids) and _all_counts(token_ids) and _all_counts(position_ids)):
        return None
    try:
        sampler = parse_sampler(table[0])
    except RequestError:
        return None
    return context_ids, token_ids, position_ids, sampler


def parse_batch(batch):
    """A list with one entry per request: a Request or a RequestError. BatchError when the batch's
    own structure is broken (then every request fails alike)."""
    batch = unpacked(batch)
    context_ids = _int_list(batch, "context_ids", True)
    size = len(context_ids)
    token_ids = _int_list(batch, "token_ids", True)
    position_ids = _int_list(batch, "position_ids", True)
    qo = _indptr(batch, "qo_indptr", size, len(token_ids))
    if qo is None:
        raise BatchError("the batch needs 'qo_indptr'", size)
    if len(position_ids) != len(token_ids):
        raise BatchError("'position_ids' has %d entries but 'token_ids' has %d" % (len(position_ids), len(token_ids)), size)

    samplers, sampler_indptr = _paired(batch, "samplers", "sampler_indptr", size)
    sampler_table, sampler_index = _indexed_samplers(batch, size)
    if sampler_index is not None and sampler_indptr is not None:
        raise BatchError("send either 'samplers' + 'sampler_indptr' or 'sampler_table' + 'sampler_index', not both", size)
    sampling_indices, sampling_indptr = _paired(batch, "sampling_indices", "sampling_indptr", size)
    masks, mask_indptr = _paired(batch, "masks", "mask_indptr", size)
    logit_masks, logit_mask_indptr = _paired(batch, "logit_masks", "logit_mask_indptr", size)
    spec_tokens, spec_indptr = _paired(batch, "spec_token_ids", "spec_indptr", size)
    image_indptr = _indptr(batch, "image_indptr", size, start_at_zero=False)
    audio_indptr = _indptr(batch, "audio_indptr", size, start_at_zero=False)
    adapters = batch.get("adapter_bindings")
    if adapters is not None and (not isinstance(adapters, list) or (adapters and len(adapters) != size)):
        raise BatchError("'adapter_bindings' must have one entry per request", size)
    if batch.get("has_user_mask") and not masks:
        raise BatchError("'has_user_mask' is set but the batch carries no 'masks'", size)

    # Whole-array checks run in C; only a batch that fails them is checked element by element,
    # to find the requests at fault.
    elements_checked = _all_counts(token_ids) and _all_counts(position_ids) and _all_counts(context_ids)
    parse_sampler_once = _SamplerCache().parse
    plain = elements_checked and mask_indptr is None and logit_mask_indptr is None and not adapters and spec_indptr is None \
        and image_indptr is None and audio_indptr is None and sampling_indptr is None
    if sampler_index is not None:
        # The paths below read Pie's layout; spell the indexed form out for them.
        samplers = [sampler_table[i] for i in sampler_index if i >= 0]
        sampler_indptr = [0]
        for i in sampler_index:
            sampler_indptr.append(sampler_indptr[-1] + (i >= 0))
    if plain:
        return _parse_plain(size, parse_sampler_once, context_ids, token_ids, position_ids, qo, samplers, sampler_indptr)
    out = []
    for r in range(size):
        try:
            out.append(_parse_request(r, elements_checked, parse_sampler_once, context_ids, token_ids, position_ids, qo,
                                      samplers, sampler_indptr, sampling_indices, sampling_indptr, masks, mask_indptr,
                                      logit_mask_indptr, spec_indptr, image_indptr, audio_indptr, adapters))
        except RequestError as error:
            out.append(error)
    return out


def _indexed_samplers(batch, size):
    """The driver's compact sampler layout: distinct samplers once, and each request's index into
    them (-1: no sampler). Pie's layout repeats the same sampler object for every request."""
    table, index = batch.get("sampler_table"), batch.get("sampler_index")
    if table is None and index is None:
        return None, None
    if not isinstance(table, list) or not isinstance(index, list) or len(index) != size:
        raise BatchError("'sampler_table' must be an array and 'sampler_index' have one entry per request", size)
    if index and (not set(map(type, index)) <= _INT or min(index) < -1 or max(index) >= len(table)):
        raise BatchError("'sampler_index' entries must be -1 or an index into 'sampler_table'", size)
    return table, index


def _parse_plain(size, parse_sampler_once, context_ids, token_ids, position_ids, qo, samplers, sampler_indptr):
    """The decode and prefill shape: tokens, positions and at most samplers, elements already checked."""
    out = []
    append = out.append
    for r in range(size):
        start, end = qo[r], qo[r + 1]
        sampler = None
        if sampler_indptr is not None:
            first = sampler_indptr[r]
            count = sampler_indptr[r + 1] - first
            if count > 1:
                append(RequestError(UNSUPPORTED_SAMPLER_LAYOUT, "%d samplers on one request; TensorRT-LLM samples one token per request here" % count))
                continue
            if count == 1:
                if end == start:
                    append(RequestError(INVALID_REQUEST, "a request with a sampler needs at least one token"))
                    continue
                try:
                    sampler = parse_sampler_once(samplers[first])
                except RequestError as error:
                    append(error)
                    continue
        append(Request(context_ids[r], token_ids[start:end], position_ids[start:end], sampler))
    return out


_INT = frozenset((int,))


def _all_counts(values):
    """True when every value is a non-negative int (bools excluded)."""
    return not values or (set(map(type, values)) <= _INT and min(values) >= 0)


class _SamplerCache:
    """Parses each distinct sampler of a batch once; a decode batch repeats the same few."""

    def __init__(self):
        self._parsed = {}

    def parse(self, sampler):
        if not isinstance(sampler, dict):
            return parse_sampler(sampler)
        key = (sampler.get("type"), sampler.get("temperature"), sampler.get("k"), sampler.get("p"), sampler.get("seed"), len(sampler))
        try:
            hash(key)
        except TypeError:  # a list or object where a number belongs: malformed, nothing to share
            return parse_sampler(sampler)
        parsed = self._parsed.get(key)
        if parsed is None:
            try:
                parsed = parse_sampler(sampler)
            except RequestError as error:
                parsed = error
            self._parsed[key] = parsed
        if isinstance(parsed, RequestError):
            raise parsed
        return parsed


def _is_count(value):
    return type(value) is int and value >= 0


def _parse_request(r, elements_checked, parse_sampler_once, context_ids, token_ids, position_ids, qo, samplers,
                   sampler_indptr, sampling_indices, sampling_indptr, masks, mask_indptr, logit_mask_indptr, spec_indptr,
                   image_indptr, audio_indptr, adapters):
    context_id = context_ids[r]
    start, end = qo[r], qo[r + 1]
    tokens = token_ids[start:end]
    positions = position_ids[start:end]
    if not elements_checked:
        if not _is_count(context_id):
            raise RequestError(INVALID_REQUEST, "context id %s is not a non-negative integer" % shown(context_id))
        for token in tokens:
            if not _is_count(token):
                raise RequestError(INVALID_REQUEST, "token id %s is not a non-negative integer" % shown(token))
        for position in positions:
            if not _is_count(position):
                raise RequestError(INVALID_REQUEST, "position %s is not a non-negative integer" % shown(position))

    if mask_indptr is not None:
        rows = masks[mask_indptr[r]:mask_indptr[r + 1]]
        if rows and len(rows) != len(tokens):
            raise RequestError(INVALID_REQUEST, "%d mask rows for %d tokens" % (len(rows), len(tokens)))
        for row, position in zip(rows, positions):
            _check_mask_row(row, position)
    if logit_mask_indptr is not None and logit_mask_indptr[r + 1] > logit_mask_indptr[r]:
        raise RequestError(UNSUPPORTED_LOGIT_MASK, "logit masks (constrained decoding) are not supported by TensorRT-LLM's LLM API here; sample without a mask")
    if adapters:
        binding = adapters[r]
        adapter_id = binding.get("adapter_id", -1) if isinstance(binding, dict) else binding
        if isinstance(adapter_id, bool) or not isinstance(adapter_id, int):
            raise RequestError(INVALID_REQUEST, "adapter binding %s has no integer adapter_id" % shown(binding))
        if adapter_id >= 0:
            raise RequestError(UNSUPPORTED_ADAPTER, "adapter %d is bound, but this driver serves the base model only; use a driver with adapter support" % adapter_id)
    if spec_indptr is not None and spec_indptr[r + 1] > spec_indptr[r]:
        raise RequestError(UNSUPPORTED_SPECULATION, "speculative drafts cannot be verified through TensorRT-LLM's LLM API; send the tokens without drafts")
    if (image_indptr is not None and image_indptr[r + 1] > image_indptr[r]) or (audio_indptr is not None and audio_indptr[r + 1] > audio_indptr[r]):
        raise RequestError(UNSUPPORTED_MULTIMODAL, "image and audio inputs are not supported by this driver; send text tokens only")

    sampler = None
    count = sampler_indptr[r + 1] - sampler_indptr[r] if sampler_indptr is not None else 0
    if count > 1:
        raise RequestError(UNSUPPORTED_SAMPLER_LAYOUT, "%d samplers on one request; TensorRT-LLM samples one token per request here" % count)
    if sampling_indptr is not None:
        indices = sampling_indices[sampling_indptr[r]:sampling_indptr[r + 1]]
        if len(indices) != count:
            raise RequestError(INVALID_REQUEST, "%d sampling indices for %d samplers" % (len(indices), count))
        if count == 1 and indices[0] != len(tokens) - 1:
            raise RequestError(UNSUPPORTED_SAMPLER_LAYOUT, "sample index %s is not the request's last token (%d); TensorRT-LLM samples after the tail only" % (shown(indices[0]), len(tokens) - 1))
    if count == 1:
        if not tokens:
            raise RequestError(INVALID_REQUEST, "a request with a sampler needs at least one token")
        sampler = parse_sampler_once(samplers[sampler_indptr[r]])
    return Request(context_id, tokens, positions, sampler)
