"""HTTP routers, one module per concern. ``service.app.ROUTER_MODULES`` lists the ones mounted."""
