@_exported import Troupe
