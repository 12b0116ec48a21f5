"""Generation: the request engine (cache, ledger, budgets), output parsing, dry run.

Submodules are imported where used: ``generation.engine``, ``generation.cache``,
``generation.parse``, ``generation.estimate``.
"""
