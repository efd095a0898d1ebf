using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace BigGan.Training.Import;

/// <summary>
/// A pickle reader that only builds data. It understands the opcodes of protocols 2–5 that plain containers need
/// (numbers, strings, bytes, tuples, lists, dicts, the memo, marks, frames); everything that would import or call
/// Python code (GLOBAL, REDUCE, BUILD, NEWOBJ, persistent ids) goes to an <see cref="IPickleResolver"/>, which answers
/// with data or refuses. Opcodes that only serve arbitrary objects (INST, OBJ, the extension registry, text
/// protocol 0 forms) are refused outright. Every length is checked against the bytes left in the stream before
/// anything is allocated, so a hostile file cannot make it allocate more than the file's size.
/// </summary>
internal sealed class RestrictedUnpickler
{
    private static readonly object Mark = new();

    private readonly Stream _stream;
    private readonly string _source;
    private readonly IPickleResolver _resolver;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];

    private RestrictedUnpickler(Stream stream, string source, IPickleResolver resolver)
    {
        if (!stream.CanSeek) throw new ArgumentException("the pickle stream must be seekable (its length bounds every read)", nameof(stream));
        _stream = stream;
        _source = source;
        _resolver = resolver;
    }

    /// <summary>Reads one pickle (up to its STOP opcode) from the stream's current position.</summary>
    /// <param name="stream">Seekable, positioned at the pickle; left just after its STOP.</param>
    /// <param name="source">Names the file in error messages.</param>
    /// <param name="resolver">Answers the opcodes that would import or call something.</param>
    /// <exception cref="UnsafePickleException">the pickle needs a global or opcode that is not allowed.</exception>
    /// <exception cref="InvalidDataException">the pickle is malformed or truncated.</exception>
    public static object? Load(Stream stream, string source, IPickleResolver resolver) => new RestrictedUnpickler(stream, source, resolver).Run();

    private object? Run()
    {
        while (true)
        {
            var at = _stream.Position;
            var op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break;                                // PROTO
                case 0x95: ReadUInt64(); break;                              // FRAME: only a read-ahead hint
                case (byte)'.':                                             // STOP
                    if (_stack.Count != 1 || _marks.Count != 0) throw Bad($"ends with {_stack.Count} values on the stack");
                    return ReferenceEquals(_stack[0], Mark) ? throw Bad("ends on a mark") : _stack[0];
                case (byte)'(': _marks.Push(_stack.Count); _stack.Add(Mark); break;  // MARK
                case (byte)'0': Pop(); break;                                // POP
                case (byte)'1': PopMark(); break;                            // POP_MARK
                case (byte)'2': Push(Peek()); break;                         // DUP
                case (byte)'N': Push(null); break;                           // NONE
                case 0x88: Push(true); break;                                // NEWTRUE
                case 0x89: Push(false); break;                               // NEWFALSE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;   // BININT
                case (byte)'K': Push((long)ReadByte()); break;               // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break;  // BININT2
                case 0x8a: Push(ReadLong(ReadByte())); break;                // LONG1
                case 0x8b: Push(ReadLong(ReadLength(4))); break;             // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;  // BINFLOAT
                case (byte)'X': Push(ReadUtf8(ReadLength(4))); break;        // BINUNICODE
                case 0x8c: Push(ReadUtf8(ReadByte())); break;                // SHORT_BINUNICODE
                case 0x8d: Push(ReadUtf8(ReadLength(8))); break;             // BINUNICODE8
                case (byte)'T': Push(Encoding.Latin1.GetString(ReadBytes(ReadLength(4)))); break;  // BINSTRING (Python 2 str)
                case (byte)'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break;     // SHORT_BINSTRING
                case (byte)'B': Push(ReadBytes(ReadLength(4))); break;       // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadByte())); break;          // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(ReadLength(8))); break;            // BINBYTES8
                case (byte)')': Push(new PyTuple([])); break;                // EMPTY_TUPLE
                case (byte)'t': Push(new PyTuple(PopMark().ToArray())); break;  // TUPLE
                case 0x85: Push(new PyTuple([Pop()])); break;                // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PyTuple([a, b])); break; }  // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PyTuple([a, b, c])); break; }  // TUPLE3
                case (byte)']': Push(new List<object?>()); break;            // EMPTY_LIST
                case (byte)'l': Push(PopMark()); break;                      // LIST
                case (byte)'a': { var x = Pop(); AsList(Peek()).Add(x); break; }           // APPEND
                case (byte)'e': { var xs = PopMark(); AsList(Peek()).AddRange(xs); break; } // APPENDS
                case (byte)'}': Push(new PyDict()); break;                   // EMPTY_DICT
                case (byte)'d': { var d = new PyDict(); SetItems(d, PopMark()); Push(d); break; }  // DICT
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(AsDict(Peek()), [k, v]); break; }  // SETITEM
                case (byte)'u': { var kv = PopMark(); SetItems(AsDict(Peek()), kv); break; }  // SETITEMS
                case (byte)'c': Push(_resolver.Global(ReadLine(), ReadLine())); break;     // GLOBAL
                case 0x93:                                                  // STACK_GLOBAL
                {
                    var name = Pop() as string ?? throw Bad("STACK_GLOBAL needs a string name");
                    var module = Pop() as string ?? throw Bad("STACK_GLOBAL needs a string module");
                    Push(_resolver.Global(module, name));
                    break;
                }
                case (byte)'R':                                             // REDUCE
                case 0x81:                                                  // NEWOBJ
                {
                    var args = Pop() as PyTuple ?? throw Bad($"{(op == 0x81 ? "NEWOBJ" : "REDUCE")} needs an argument tuple");
                    Push(_resolver.Reduce(Pop(), args));
                    break;
                }
                case (byte)'b': { var state = Pop(); Push(_resolver.Build(Pop(), state)); break; }  // BUILD
                case (byte)'Q': Push(_resolver.PersistentLoad(Pop())); break;  // BINPERSID
                case (byte)'q': _memo[ReadByte()] = Peek(); break;           // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break;  // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;               // MEMOIZE
                case (byte)'h': Push(Get(ReadByte())); break;                // BINGET
                case (byte)'j': Push(Get(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break;  // LONG_BINGET
                default:
                    throw new UnsafePickleException($"{_source}: pickle opcode 0x{op:x2} ('{(op is >= 0x20 and < 0x7f ? (char)op : '?')}') at byte {at} is not allowed: " +
                                                    "a state dict needs only containers, numbers, strings and the allowed tensor globals");
            }
        }
    }

    private InvalidDataException Bad(string what) => new($"{_source}: malformed pickle at byte {_stream.Position}: {what}");

    private void Push(object? value) => _stack.Add(value);

    private object? Peek() => _stack.Count == 0 || ReferenceEquals(_stack[^1], Mark) ? throw Bad("stack underflow") : _stack[^1];

    private object? Pop()
    {
        var v = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Bad("no mark to pop to");
        var at = _marks.Pop();
        var items = _stack.GetRange(at + 1, _stack.Count - at - 1);
        _stack.RemoveRange(at, _stack.Count - at);
        return items;
    }

    private object? Get(long key) => _memo.TryGetValue(key, out var v) ? v : throw Bad($"memo key {key} was never stored");

    private List<object?> AsList(object? o) => o as List<object?> ?? throw Bad($"append to a {Describe(o)}, expected a list");

    private PyDict AsDict(object? o) => o as PyDict ?? throw Bad($"set item on a {Describe(o)}, expected a dict");

    private void SetItems(PyDict dict, List<object?> keysAndValues)
    {
        if (keysAndValues.Count % 2 != 0) throw Bad("odd number of dict keys and values");
        for (int i = 0; i < keysAndValues.Count; i += 2)
        {
            var key = keysAndValues[i];
            if (key is not (string or long or double or bool or BigInteger)) throw Bad($"dict key of type {Describe(key)} (a state dict's keys are strings or numbers)");
            dict.Items[key] = keysAndValues[i + 1];
        }
    }

    internal static string Describe(object? o) => o switch
    {
        null => "None",
        PyTuple => "tuple",
        List<object?> => "list",
        PyDict => "dict",
        string => "str",
        long or BigInteger => "int",
        double => "float",
        bool => "bool",
        byte[] => "bytes",
        PyGlobal g => g.ToString(),
        _ => o.GetType().Name,
    };

    private byte ReadByte()
    {
        var b = _stream.ReadByte();
        return b < 0 ? throw Bad("unexpected end of file") : (byte)b;
    }

    private ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));

    // A length field, bounded by the bytes left in the stream before it is used to allocate anything.
    private int ReadLength(int width)
    {
        var n = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)) : ReadUInt64();
        var left = _stream.Length - _stream.Position;
        if (n > (ulong)Math.Max(0, left)) throw Bad($"a length of {n} bytes but only {left} are left");
        return (int)Math.Min(n, int.MaxValue);
    }

    private byte[] ReadBytes(int n)
    {
        if (n > _stream.Length - _stream.Position) throw Bad($"needs {n} bytes but only {_stream.Length - _stream.Position} are left");
        var bytes = new byte[n];
        _stream.ReadExactly(bytes);
        return bytes;
    }

    private object ReadLong(int n)
    {
        if (n == 0) return 0L;
        var value = new BigInteger(ReadBytes(n), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private string ReadUtf8(int n)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(ReadBytes(n));
        }
        catch (DecoderFallbackException)
        {
            throw Bad("a string that is not valid UTF-8");
        }
    }

    // GLOBAL's newline-terminated module and name (short: Python identifiers), ASCII only.
    private string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            var b = ReadByte();
            if (b == '\n') return sb.ToString();
            if (b is < 0x20 or >= 0x7f || sb.Length >= 256) throw Bad("GLOBAL names a module or class that is not a short ASCII identifier");
            sb.Append((char)b);
        }
    }
}
