"""Development entry point: ``python run.py [run|audit] [flags]`` (same as ``velox``)."""

from velox.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
