"""``python -m tests.load``: the full load run (see run_full.py)."""

import runpy

runpy.run_path(str(__import__("pathlib").Path(__file__).with_name("run_full.py")), run_name="__main__")
