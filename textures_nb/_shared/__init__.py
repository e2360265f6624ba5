"""Private helpers shared by several modules of textures_nb.

Nothing here is public API. A helper moves here as soon as a second module needs
it, so that no module imports an underscore name from another public module.
"""
