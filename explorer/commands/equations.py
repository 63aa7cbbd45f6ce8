"""``explorer equations LAW``: print a saved law term by term (validated on loading).

Monomials for polynomial dictionaries (``--basis auto``), one line per equation, e.g.
``x2'' = 1 x1 - 2 x2 + 1 x3 + ...``; ``--json`` prints the terms as one JSON object instead.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from explorer.commands.checks import finite, input_file
from explorer.learning.equations import format_equations
from explorer.learning.lawfile import read_law


def add_parser(sub) -> None:
    p = sub.add_parser("equations", help="print a saved law as equations")
    p.add_argument("law", help="law file written by explorer learn --save")
    p.add_argument("--threshold", type=float, default=1e-6, help="smallest |coefficient| printed")
    p.add_argument("--basis", choices=["auto", "monomial", "dictionary"], default="auto",
                   help="auto: monomials for polynomial dictionaries")
    p.add_argument("--json", action="store_true", help="print the terms as one JSON object")
    p.set_defaults(run=run)


def run(args) -> int:
    finite(args.threshold, "--threshold", low=0.0)
    input_file(args.law, "law")
    law = read_law(args.law)
    rows = law.equations(args.threshold, args.basis)
    if args.json:
        print(json.dumps({"law": args.law, "order": law.order, "modes": law.modes,
                          "source": law.provenance.get("source"), "equations": [asdict(r) for r in rows]}))
    else:
        print(format_equations(law, rows, order=law.order or 1), flush=True)
    return 0
