using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using BigGan.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Sampling;

/// <summary>
/// Bulk export of samples for scoring (the reference's sample_npz): each listed class <c>perClass</c> times,
/// class-major, row r using latent row r of the seed. Written atomically: the .npz through a temporary file that is
/// renamed into place, the folder by building a hidden temporary folder that is renamed at the end, so a failure leaves
/// nothing half-written.
/// </summary>
public static class SampleExport
{
    /// <summary>
    /// Writes numpy's .npz (a zip of .npy files, stored, as np.savez) with <c>x</c> uint8 [N, C, R, R] and <c>y</c>
    /// int64 [N]. Images are generated and written batch by batch, so memory does not grow with N. Returns N.
    /// <paramref name="channels"/> converts the images (1: BT.601 luma, 3: gray repeated; 0: the generator's own).
    /// </summary>
    public static long WriteNpz(IImageSampler sampler, string path, IReadOnlyList<int>? classes, int perClass, Truncation truncation, ulong seed,
        IProgress<long>? progress = null, int channels = 0)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var rows = Rows(sampler, classes, perClass, truncation);
        channels = OutputChannels(sampler, channels);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"cannot write {path}: it is a folder");
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        long n = rows.Length;
        AtomicFile.Write(full, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var x = zip.CreateEntry("x.npy", CompressionLevel.NoCompression).Open())
            {
                x.Write(NpyFormat.Header(NpyFormat.UInt8, [n, channels, sampler.Resolution, sampler.Resolution]));
                ForEachBatch(sampler, rows, truncation, seed, channels, (start, images) =>
                {
                    using var bytes = GeneratedImages.ToUint8(images).contiguous();
                    x.Write(bytes.bytes);
                    progress?.Report(start + images.shape[0]);
                });
            }
            using (var y = zip.CreateEntry("y.npy", CompressionLevel.NoCompression).Open())
            {
                y.Write(NpyFormat.Header(NpyFormat.Int64, [n]));
                var labels = rows.Select(c => (long)c).ToArray();
                y.Write(MemoryMarshal.AsBytes(labels.AsSpan()));
            }
        });
        return n;
    }

    /// <summary>
    /// Writes PNGs into one subfolder per class plus labels.csv (file,label,class_name). Subfolders are named by the
    /// zero-padded class index, followed by "_" and the class name when it is not just the number, so they sort in
    /// class order (an image-folder loader gives them back the same indices). <paramref name="folder"/> must not exist
    /// (or be empty) unless <paramref name="overwrite"/>, which replaces it. Returns the number of images.
    /// <paramref name="channels"/> converts the images (1: gray PNGs of BT.601 luma, 3: RGB; 0: the generator's own).
    /// </summary>
    public static long WriteFolder(IImageSampler sampler, string folder, IReadOnlyList<int>? classes, int perClass, Truncation truncation, ulong seed,
        bool overwrite = false, IProgress<long>? progress = null, int channels = 0)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var rows = Rows(sampler, classes, perClass, truncation);
        channels = OutputChannels(sampler, channels);
        var target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        if (File.Exists(target)) throw new IOException($"cannot export to {folder}: it is a file");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !overwrite)
            throw new IOException($"cannot export to {folder}: the folder exists and is not empty (choose another folder or overwrite it)");
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            var names = ClassFolderNames(sampler);
            var fileDigits = Math.Max(4, (perClass - 1).ToString(CultureInfo.InvariantCulture).Length);
            var csv = new StringBuilder("file,label,class_name\n");
            foreach (var c in rows.Distinct()) Directory.CreateDirectory(Path.Combine(tmp, names[c]));
            ForEachBatch(sampler, rows, truncation, seed, channels, (start, images) =>
            {
                var pngs = GeneratedImages.ToPng(images);
                for (int i = 0; i < pngs.Length; i++)
                {
                    var row = start + i;
                    var c = rows[row];
                    var file = $"{names[c]}/{(row % perClass).ToString(CultureInfo.InvariantCulture).PadLeft(fileDigits, '0')}.png";
                    File.WriteAllBytes(Path.Combine(tmp, file), pngs[i]);
                    csv.Append(Csv(file)).Append(',').Append(c.ToString(CultureInfo.InvariantCulture)).Append(',').Append(Csv(sampler.ClassNames[c])).Append('\n');
                }
                progress?.Report(start + pngs.Length);
            });
            File.WriteAllText(Path.Combine(tmp, "labels.csv"), csv.ToString(), new UTF8Encoding(false));
            Publish(tmp, target);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
        return rows.Length;
    }

    /// <summary>Subfolder name per class index: zero-padded index, plus "_name" when the name is not the index itself.</summary>
    public static string[] ClassFolderNames(IImageSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        var digits = (sampler.NumClasses - 1).ToString(CultureInfo.InvariantCulture).Length;
        return sampler.ClassNames.Select((name, i) =>
        {
            var index = i.ToString(CultureInfo.InvariantCulture);
            var safe = Sanitize(name);
            return index.PadLeft(digits, '0') + (safe == index ? "" : "_" + safe);
        }).ToArray();
    }

    private static int[] Rows(IImageSampler sampler, IReadOnlyList<int>? classes, int perClass, Truncation truncation)
    {
        truncation.Validate(nameof(truncation));
        if (perClass < 1) throw new ArgumentException($"perClass is {perClass}; expected at least 1 image per class", nameof(perClass));
        if (classes is not null && classes.Distinct().Count() != classes.Count)
            throw new ArgumentException($"classes lists a class twice ({string.Join(", ", classes)}); list each class once and set perClass", nameof(classes));
        return sampler.RowClasses(classes ?? Enumerable.Range(0, sampler.NumClasses).ToArray(), perClass);
    }

    private static int OutputChannels(IImageSampler sampler, int channels) => channels switch
    {
        0 => sampler.Channels,
        1 or 3 => channels,
        _ => throw new ArgumentException($"channels is {channels}; expected 1 (gray), 3 (RGB) or 0 (the generator's own, {sampler.Channels})", nameof(channels)),
    };

    private static void ForEachBatch(IImageSampler sampler, int[] rows, Truncation truncation, ulong seed, int channels, Action<long, Tensor> write)
    {
        for (int start = 0; start < rows.Length; start += sampler.BatchSize)
        {
            var len = Math.Min(sampler.BatchSize, rows.Length - start);
            using var scope = NewDisposeScope();
            var images = sampler.SampleRows(rows.AsSpan(start, len), truncation, seed, start);
            write(start, ImageChannels.Convert(images, channels));
        }
    }

    private static string Sanitize(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var chars = name.Trim().Select(ch => invalid.Contains(ch) || ch is '/' or '\\' or ':' or '*' or '?' or '"' or '<' or '>' or '|' || char.IsControl(ch) ? '_' : ch).ToArray();
        var s = new string(chars).Trim('.', ' ');
        return s.Length == 0 ? "_" : s;
    }

    private static string Csv(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    // Renames the complete temporary folder into place; an existing target is moved aside first and deleted after.
    private static void Publish(string tmp, string target)
    {
        string? aside = null;
        if (Directory.Exists(target))
        {
            aside = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
            Directory.Move(target, aside);
        }
        try
        {
            Directory.Move(tmp, target);
        }
        catch
        {
            if (aside is not null) Directory.Move(aside, target);
            throw;
        }
        if (aside is not null) TryDelete(aside);
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
