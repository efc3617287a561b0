"""Admin screens of the dispatch centre: scoped lists in Chinese, writes through the services.

One module per section (master data, stock, shipping, documents); importing them
registers the screens.


* Lists name things, not codes: product name, SKU code and spec, warehouse name, the
  person's name (:func:`mall.core.people.person_name`), statuses and movement kinds as
  coloured labels.
* Documents (purchase inbound, transfer, stocktake, return receipt) are created from a
  form whose lines are inline rows: a SKU picked with the SKU search
  (:func:`._common.sku_search_view`: product name, spec and the sellable units in the reader's
  warehouses) and a quantity. The form calls the document's service, which writes the
  document and its lines and books the ledger movements. A stock snapshot is typed as
  ``SKU-CODE quantity`` rows or uploaded as the warehouse's CSV file.
* A document is never edited once written: its page is read-only and its workflow steps
  (book arrival, receive, reconcile, accept/reject a line, release) are buttons calling
  the same services as the API. Bulk actions stay for batches.
"""

from . import documents, master_data, shipping, stock  # noqa: F401
