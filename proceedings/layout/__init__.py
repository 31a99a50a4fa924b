"""The layout engine: the book's parts laid out separately, in parallel and cached,
then put together, page for page equal to the book laid out as one document.

``typeset.typeset`` runs the stages in order, one module each:

- ``plan``: the parts in reading order, and the jobs that lay them out;
- ``workers``: the jobs the cache (``cache``) lacks, laid out in worker processes,
  each part's lines measured from WeasyPrint's boxes for the layout audit (``measure``);
- ``numbering``: the contents and the index, for the book's page numbers;
- ``stamps``: the sheets of running heads and folios;
- ``assemble``: the parts' pages in place, numbers written in, stamps drawn over,
  one font subset per face (``fonts``), links and bookmarks rebuilt.

``typeset.typeset_single`` lays the book out as one WeasyPrint document: the
reference the parts engine is tested against. This file imports nothing: a worker
imports ``workers`` alone, and starts fast.
"""
