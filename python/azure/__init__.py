# `azure` is a namespace shared by many distributions (azure-core,
# azure-storage-blob, ...): extend the path so their subpackages stay
# importable next to the azure.functions that mod_funcapp embeds.
__path__ = __import__('pkgutil').extend_path(__path__, __name__)
