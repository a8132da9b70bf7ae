"""Fast conversion between python columns and FEATURES datasets.

`datasets.Dataset.from_dict(..., features=...)` encodes every element in Python (about
1.5 s for GoEmotions' 1.5M multi-hot floats); building the Arrow table against the
schema directly takes a few hundredths of that.
"""

from __future__ import annotations

from typing import Any

import datasets
import pyarrow as pa

from emoexp.data.schema import FEATURES

SCHEMA = FEATURES.arrow_schema


def empty_columns() -> dict[str, list[Any]]:
    return {name: [] for name in FEATURES}


def columns_to_dataset(columns: dict[str, list[Any]]) -> datasets.Dataset:
    """A FEATURES dataset from one python list per feature (every feature required)."""
    return datasets.Dataset(pa.Table.from_pydict(columns, schema=SCHEMA))


def as_table(ds: datasets.Dataset) -> pa.Table:
    """The dataset's rows as one Arrow table, with any select()/shuffle() applied."""
    return ds.with_format("arrow")[:]


def rebuild(table: pa.Table, keep: list[int], replaced: dict[str, list[Any]]) -> datasets.Dataset:
    """Rows `keep` of `table`, with some columns replaced by new python values."""
    taken = table.take(pa.array(keep, type=pa.int64()))
    arrays = [
        pa.array(replaced[name], type=SCHEMA.field(name).type)
        if name in replaced
        else taken.column(name)
        for name in FEATURES
    ]
    return datasets.Dataset(pa.Table.from_arrays(arrays, schema=SCHEMA))


def column(ds: datasets.Dataset, name: str) -> list[Any]:
    """One column as a Python list, read through Arrow (in datasets 5, `ds[name]` goes through
    the formatter row by row, about ten times slower)."""
    return ds.with_format("arrow")[name].to_pylist()
