"""Members API: storefront (``store``) and staff (``staff``) endpoints."""
