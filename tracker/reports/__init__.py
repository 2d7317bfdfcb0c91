"""Reports: data, figures and files built from what the services gathered; never a Response."""
