// The generated messages are the client library's public vocabulary: importing Etimad brings
// them along, so apps need no second import.
@_exported import EtimadProtos
