"""Build the binary documents (PDF, DOCX, XLSX) of corpus/haldenbrook/ from the text sources here.

Usage: python corpus/haldenbrook-src/build.py (the builder itself is corpus/docbuild.py).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from docbuild import build  # noqa: E402

if __name__ == "__main__":
    build(HERE, HERE.parent / "haldenbrook", "Halden Brook University", "Ingrid Solheim")
