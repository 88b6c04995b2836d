"""Search for the party-history library: jieba analysis, a Whoosh index, queries and suggestions.

The core modules (analysis, schema, indexer, query) are plain Python and do not import Django.
"""
