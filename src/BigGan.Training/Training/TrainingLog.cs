using System.Text;
using System.Text.Json;

namespace BigGan.Training.Training;

/// <summary>
/// The run's training log: a JSON Lines file (default <c>train_log.jsonl</c> in the run folder), one object per step,
/// flushed line by line so a crash loses nothing already written and a reader can follow it live. A line looks like
/// <c>{"step":10,"seconds":0.84,"utc":"2025-01-01T00:00:00.000Z","losses":{"G_loss":0.1,"D_loss_real":0.9,"D_loss_fake":1.1},"sv":{"G.blocks.0.conv1":1.02}}</c>;
/// <c>sv</c> (top singular value per spectrally normalised layer) appears only when given, <c>extra</c> only when given.
/// Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity" so every line stays valid JSON.
/// </summary>
public sealed class TrainingLog : IDisposable
{
    public const string DefaultFileName = "train_log.jsonl";

    private readonly FileStream _stream;
    private readonly object _gate = new();

    public string Path { get; }

    /// <summary>
    /// Opens (creating the run folder if needed) the log for appending. When resuming from a checkpoint at step N, pass
    /// <paramref name="keepUpToStep"/> = N: lines of later steps (written after that checkpoint, before a crash) are
    /// dropped first, so the log matches the resumed run with no duplicate steps.
    /// </summary>
    public TrainingLog(string runDir, string fileName = DefaultFileName, long? keepUpToStep = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDir);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        Directory.CreateDirectory(runDir);
        Path = System.IO.Path.Combine(runDir, fileName);
        if (keepUpToStep is long keep && File.Exists(Path)) TruncateAfter(Path, keep);
        _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    /// <summary>Appends one line and flushes it.</summary>
    public void Write(long step, IReadOnlyDictionary<string, double> losses, double seconds,
        IReadOnlyDictionary<string, double>? singularValues = null, IReadOnlyDictionary<string, double>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(losses);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("step", step);
            WriteNumber(w, "seconds", seconds);
            w.WriteString("utc", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            WriteObject(w, "losses", losses);
            if (singularValues is not null) WriteObject(w, "sv", singularValues);
            if (extra is not null) WriteObject(w, "extra", extra);
            w.WriteEndObject();
        }
        Append(buffer);
    }

    /// <summary>Appends one event line (e.g. a detected collapse and what was done): {"step", "utc", "event", "message", "values"}.</summary>
    public void WriteEvent(long step, string kind, string message, IReadOnlyDictionary<string, double>? values = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("step", step);
            w.WriteString("utc", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("event", kind);
            w.WriteString("message", message);
            if (values is not null) WriteObject(w, "values", values);
            w.WriteEndObject();
        }
        Append(buffer);
    }

    private void Append(MemoryStream buffer)
    {
        buffer.WriteByte((byte)'\n');
        lock (_gate)
        {
            _stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            _stream.Flush();
        }
    }

    private static void WriteObject(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, double> values)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in values) WriteNumber(w, k, v);
        w.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }

    // Keeps the lines whose step is <= keep (and any line that cannot be read, e.g. a torn last line, is dropped).
    private static void TruncateAfter(string path, long keep)
    {
        var kept = new StringBuilder();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("step", out var s) && s.TryGetInt64(out var step) && step <= keep)
                    kept.Append(line).Append('\n');
            }
            catch (JsonException)
            {
                // a line torn by a crash: not a complete record, drop it
            }
        }
        AtomicFile.WriteAllText(path, kept.ToString());
    }

    /// <summary>Reads the log back: one parsed document per line (the caller disposes them).</summary>
    public static IEnumerable<JsonDocument> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"training log not found: {path}", path);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new InvalidDataException($"{path} line {lineNo} is not valid JSON: {e.Message}", e); }
            yield return doc;
        }
    }

    public void Dispose() => _stream.Dispose();
}
