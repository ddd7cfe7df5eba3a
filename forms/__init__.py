"""WTForms forms, one module per area: they validate and convert, never write."""
