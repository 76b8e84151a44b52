"""The one build step pyproject.toml cannot state: copy the folders contributors edit into the wheel.

`corpus/standard/`, `corpus/sample/`, `prompts/` and `evals/` stay at the top of the checkout, the
only copy in git. When a wheel is built (`pip wheel .`, `pip install .`, `python -m build`), this
`build_py` copies them into the build as `assistant/_bundled/<name>/`, as listed in
`assistant/resources.py`'s `SHIPPED`, which is also where the program looks for them. An editable
install copies nothing: `assistant/resources.py` then reads the checkout's folders in place.
Everything else about the package is declared in pyproject.toml.
"""

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
RESOURCES = runpy.run_path(str(ROOT / "assistant" / "resources.py"))  # standard library only


class BuildPyWithBundledData(build_py):
    """build_py, then the shipped folders copied into the build's assistant/_bundled/."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "assistant" / RESOURCES["BUNDLED"]
        shutil.rmtree(target, ignore_errors=True)  # a file deleted from the checkout leaves no stale copy
        for name, (folder, left_out) in RESOURCES["SHIPPED"].items():
            source = ROOT / folder
            if not source.is_dir():
                raise FileNotFoundError(f"cannot build the package: {source} is missing")
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", *left_out))


setup(cmdclass={"build_py": BuildPyWithBundledData})
