import SystemSupport

/// The one mutex (SystemSupport's), under the name the model's users know.
public typealias Lock = SystemSupport.Lock
