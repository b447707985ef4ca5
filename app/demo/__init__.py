"""Demo data (`petitions demo`): a tool for development and demonstrations, not production code.

`loader` walks synthetic cases through the case service; `corpus.json` holds the Vietnamese text
it samples."""

from app.demo.loader import DemoReport, load_demo

__all__ = ["DemoReport", "load_demo"]
