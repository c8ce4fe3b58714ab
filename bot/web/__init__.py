"""The web app: routes, request bodies and forms, the one template environment, the simulator."""
