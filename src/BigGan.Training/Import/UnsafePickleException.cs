namespace BigGan.Training.Import;

/// <summary>A pickle asks for something a state dict never needs (a global outside the allow-list, an opcode that
/// builds arbitrary objects). Nothing it names is ever looked up or run; the file is refused. (An IOException like
/// the <see cref="InvalidDataException"/> of a damaged file, which is sealed.)</summary>
public sealed class UnsafePickleException(string message) : IOException(message);
