"""Every channel call a gateway records names an operation ``ChannelCall`` can store.

An operation longer than the column (``download_bill`` was one) made every Alipay bill
download fail on PostgreSQL; SQLite does not enforce the length, so this reads the code.
"""

from __future__ import annotations

import re
from pathlib import Path

import payments.gateways
from payments.models import ChannelCall

CALL = re.compile(r"""(?:self\.call|self\._ask|_ask)\(\s*["']([a-z_]+)["']""")


def test_every_recorded_operation_is_a_channel_call_operation():
    folder = Path(payments.gateways.__file__).parent
    seen = {}
    for path in sorted(folder.glob("*.py")):
        for name in CALL.findall(path.read_text(encoding="utf-8")):
            seen.setdefault(name, []).append(path.name)
    assert seen, "no recorded channel calls found: the pattern no longer matches the code"
    unknown = {
        name: files for name, files in seen.items() if name not in ChannelCall.Operation.values
    }
    assert unknown == {}
