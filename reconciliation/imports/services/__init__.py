"""Domain operations of the import of existing Partner Center customers (DESIGN.md section 3, flow 6), one module
per concern (import them by module):

- `runs`: the run as staff drive it (start and retry the preview, select, start and resume the import, fail);
- `preview`: paging through the instance's customers and classifying each against the BSS;
- `resellers`: indirect resellers, from Partner Center's list to the BSS reseller of each new customer;
- `importing`: the import phase, batches of selected customers and the run's completion;
- `customers`: the import of one customer with its subscriptions (and `subscription_import`);
- `report`: the result rows, the counters and the CSV download.
"""
