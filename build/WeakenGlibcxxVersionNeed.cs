#nullable enable
// The MSBuild task behind BigGan.Training.targets, compiled by RoslynCodeTaskFactory (netstandard API surface only).
// Not part of any project: it ships next to the targets file in the BigGan.Training package.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks one version need (GLIBCXX_3.4.32 of libstdc++.so.6) of ELF64 little-endian files weak, so that the dynamic
/// loader accepts an older libstdc++ that lacks it. Done only when the system libstdc++ lacks the version and only
/// when every dynamic symbol bound to that version is one the file can live without; anything unexpected is a
/// warning and the file stays as it is.
/// </summary>
public sealed class WeakenGlibcxxVersionNeed : Task
{
    const uint ShtDynsym = 11, ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2;

    /// <summary>Output copies to patch in place (by rename); never the NuGet cache.</summary>
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    public string VersionName { get; set; } = "GLIBCXX_3.4.32";
    public string NeededFile { get; set; } = "libstdc++.so.6";

    /// <summary>Symbols that may carry the version: std::ios_base_library_init(), which libstdc++ 13 introduced
    /// and which no relocation of libLibTorchSharp.so uses.</summary>
    public string AllowedSymbols { get; set; } = "_ZSt21ios_base_library_initv";

    /// <summary>The libstdc++ to check; empty means the one the loader would find (ldconfig -p, then usual paths).</summary>
    public string LibStdCxx { get; set; } = "";

    /// <summary>Patch even when the system libstdc++ has the version (a build meant for an older machine).</summary>
    public bool Force { get; set; }

    [Output] public ITaskItem[] Patched { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        // Files that still need the work; already-weak copies (an incremental build) cost one read and no ldconfig.
        var pending = new List<(ITaskItem Item, Plan Plan)>();
        foreach (var item in Files)
        {
            var path = item.GetMetadata("FullPath");
            if (!File.Exists(path)) continue;
            var data = File.ReadAllBytes(path);
            var plan = Inspect(path, data);
            if (plan != null) pending.Add((item, plan));
        }
        if (pending.Count == 0) return true;

        if (!Force)
        {
            var lib = string.IsNullOrEmpty(LibStdCxx) ? FindLibStdCxx() : LibStdCxx;
            if (lib != null && File.Exists(lib))
            {
                var defined = DefinedVersions(lib, out var why);
                if (defined == null)
                    Log.LogMessage(MessageImportance.Normal, $"BigGan: could not read the version definitions of {lib} ({why}); treating {VersionName} as missing.");
                else if (defined.Contains(VersionName))
                {
                    Log.LogMessage(MessageImportance.Low, $"BigGan: {lib} provides {VersionName}; TorchSharp's native library is left as shipped.");
                    return true;
                }
                else Log.LogMessage(MessageImportance.Normal, $"BigGan: {lib} lacks {VersionName}; marking that version need weak in the output copy.");
            }
            else Log.LogMessage(MessageImportance.Normal, $"BigGan: no system libstdc++.so.6 found; marking {VersionName} weak anyway (harmless where it exists).");
        }

        var patched = new List<ITaskItem>();
        foreach (var (item, plan) in pending)
        {
            var path = item.GetMetadata("FullPath");
            if (plan.Problem != null)
            {
                Log.LogWarning(null, "BGN0003", null, path, 0, 0, 0, 0, $"Left {path} untouched: {plan.Problem}. TorchSharp's native library needs {VersionName} of {NeededFile}, which this system's libstdc++ lacks, so loading TorchSharp may fail; install a newer libstdc++ (GCC 13+), or set BigGanWeakenGlibcxx=false to silence this.");
                continue;
            }
            try
            {
                Write(path, plan);
                patched.Add(item);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogWarning(null, "BGN0002", null, path, 0, 0, 0, 0, $"Could not mark {VersionName} weak in {path}: {e.Message}. TorchSharp will fail to load on a system whose libstdc++ lacks {VersionName}.");
            }
        }
        Patched = patched.ToArray();
        return !Log.HasLoggedErrors;
    }

    /// <summary>Where to set the flag, or why the file cannot be patched.</summary>
    sealed class Plan
    {
        public string? Problem;
        public long FlagsOffset;
        public ushort Flags;
        public List<string> Users = new List<string>();
    }

    /// <summary>What to do with one file; null when there is nothing to do (no such need, or already weak).</summary>
    Plan? Inspect(string path, byte[] data)
    {
        string problem;
        var elf = Elf.TryParse(data, out problem);
        if (elf == null) return Unexpected(path, problem);

        var verneed = elf.Sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
        if (verneed == null) return Unexpected(path, "it has no .gnu.version_r section");
        var strtab = elf.Section(verneed.Link);
        if (strtab == null) return Unexpected(path, ".gnu.version_r links to no string table");

        long flagsOffset = -1; int versionIndex = -1; ushort flags = 0;
        long entry = verneed.Offset;
        for (uint n = 0; n < verneed.Info; n++)
        {
            if (!verneed.Contains(entry, 16)) return Unexpected(path, "a Verneed entry lies outside .gnu.version_r");
            var vnVersion = U16(data, entry); var vnCnt = U16(data, entry + 2);
            var vnFile = elf.String(strtab, U32(data, entry + 4));
            var vnAux = U32(data, entry + 8); var vnNext = U32(data, entry + 12);
            if (vnVersion != 1) return Unexpected(path, $"Verneed version {vnVersion} is not 1");
            long aux = entry + vnAux;
            for (int a = 0; a < vnCnt; a++)
            {
                if (!verneed.Contains(aux, 16)) return Unexpected(path, "a Vernaux entry lies outside .gnu.version_r");
                if (vnFile == NeededFile && elf.String(strtab, U32(data, aux + 8)) == VersionName)
                {
                    flagsOffset = aux + 4; flags = U16(data, aux + 4); versionIndex = U16(data, aux + 6) & 0x7fff;
                }
                var next = U32(data, aux + 12);
                if (next == 0) break;
                aux += next;
            }
            if (vnNext == 0) break;
            entry += vnNext;
        }
        if (flagsOffset < 0)
        {
            Log.LogMessage(MessageImportance.Low, $"BigGan: {path} does not need {VersionName} of {NeededFile}; nothing to do.");
            return null;
        }
        if ((flags & VerFlgWeak) != 0)
        {
            Log.LogMessage(MessageImportance.Low, $"BigGan: {VersionName} is already weak in {path}.");
            return null;
        }

        // Weak only helps while no symbol actually needs the version: a missing versioned symbol would still fail.
        var users = elf.SymbolsWithVersion(versionIndex, out problem);
        if (users == null) return Unexpected(path, problem);
        var allowed = new HashSet<string>(AllowedSymbols.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));
        var needed = users.Where(u => !allowed.Contains(u)).ToList();
        if (needed.Count > 0)
            return Unexpected(path, $"symbols {string.Join(", ", needed.Take(5))} need {VersionName}, so weakening it would not make the file load");
        return new Plan { FlagsOffset = flagsOffset, Flags = flags, Users = users };
    }

    void Write(string path, Plan plan)
    {
        // A new file renamed over the old one: the output copy may be a hard link into the NuGet cache. Keeping the
        // source's timestamp makes the next build's copy see the file as up to date instead of linking it again.
        var tmp = path + ".bgn-tmp";
        var time = File.GetLastWriteTimeUtc(path);
        File.Copy(path, tmp, true);
        using (var f = new FileStream(tmp, FileMode.Open, FileAccess.Write))
        {
            f.Position = plan.FlagsOffset;
            var b = BitConverter.GetBytes((ushort)(plan.Flags | VerFlgWeak));
            f.Write(b, 0, 2);
        }
        File.SetLastWriteTimeUtc(tmp, time);
        File.Replace(tmp, path, null);
        Log.LogMessage(MessageImportance.High, $"BigGan: marked {VersionName} weak in {path} (only {string.Join(", ", plan.Users)} uses it).");
    }

    // Reported only once the system libstdc++ turns out to lack the version.
    static Plan Unexpected(string path, string why) => new Plan { Problem = why };

    /// <summary>The version names a shared library defines (.gnu.version_d), or null when it cannot be read.</summary>
    static HashSet<string>? DefinedVersions(string path, out string why)
    {
        byte[] data;
        try { data = File.ReadAllBytes(path); } catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { why = e.Message; return null; }
        var elf = Elf.TryParse(data, out why);
        if (elf == null) return null;
        var verdef = elf.Sections.FirstOrDefault(s => s.Type == ShtGnuVerdef);
        var strtab = verdef == null ? null : elf.Section(verdef.Link);
        if (verdef == null || strtab == null) { why = "no .gnu.version_d"; return null; }
        var names = new HashSet<string>();
        long entry = verdef.Offset;
        for (uint n = 0; n < verdef.Info; n++)
        {
            if (!verdef.Contains(entry, 20)) { why = "a Verdef entry lies outside .gnu.version_d"; return null; }
            var cnt = U16(data, entry + 6); var aux = U32(data, entry + 12); var next = U32(data, entry + 16);
            if (cnt > 0)
            {
                if (!verdef.Contains(entry + aux, 8)) { why = "a Verdaux entry lies outside .gnu.version_d"; return null; }
                var name = elf.String(strtab, U32(data, entry + aux));
                if (name != null) names.Add(name);
            }
            if (next == 0) break;
            entry += next;
        }
        return names;
    }

    /// <summary>The libstdc++.so.6 the dynamic loader resolves by default: ld.so.cache (via ldconfig -p), else the usual directories.</summary>
    string? FindLibStdCxx()
    {
        foreach (var ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig", "/usr/bin/ldconfig" })
        {
            if (!File.Exists(ldconfig)) continue;
            try
            {
                var psi = new ProcessStartInfo(ldconfig, "-p") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                using (var p = Process.Start(psi)!)
                {
                    var text = p.StandardOutput.ReadToEnd();
                    p.WaitForExit(10000);
                    // "\tlibstdc++.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libstdc++.so.6"
                    foreach (var line in text.Split('\n'))
                    {
                        var t = line.Trim();
                        if (!t.StartsWith(NeededFile + " ") || !t.Contains("x86-64")) continue;
                        var arrow = t.IndexOf("=> ", StringComparison.Ordinal);
                        if (arrow > 0) return t.Substring(arrow + 3).Trim();
                    }
                }
            }
            catch (Exception e) { Log.LogMessage(MessageImportance.Low, $"BigGan: {ldconfig} -p failed: {e.Message}"); }
            break;
        }
        foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" })
        {
            var p = Path.Combine(dir, NeededFile);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    static ushort U16(byte[] d, long o) => (ushort)(d[o] | d[o + 1] << 8);
    static uint U32(byte[] d, long o) => (uint)(d[o] | d[o + 1] << 8 | d[o + 2] << 16 | d[o + 3] << 24);
    static ulong U64(byte[] d, long o) => U32(d, o) | (ulong)U32(d, o + 4) << 32;

    sealed class SectionHeader
    {
        public uint Type, Link, Info;
        public long Offset, Size, EntSize;
        public bool Contains(long offset, long length) => offset >= Offset && length >= 0 && offset + length <= Offset + Size;
    }

    /// <summary>The section headers of an ELF64 little-endian file, bounds-checked against the file.</summary>
    sealed class Elf
    {
        readonly byte[] _data;
        public readonly SectionHeader[] Sections;

        Elf(byte[] data, SectionHeader[] sections) { _data = data; Sections = sections; }

        public static Elf? TryParse(byte[] d, out string problem)
        {
            problem = "";
            if (d.Length < 64 || d[0] != 0x7f || d[1] != (byte)'E' || d[2] != (byte)'L' || d[3] != (byte)'F') { problem = "it is not an ELF file"; return null; }
            if (d[4] != 2 || d[5] != 1) { problem = "it is not a 64-bit little-endian ELF file"; return null; }
            var shoff = U64(d, 0x28); var shentsize = U16(d, 0x3A); var shnum = U16(d, 0x3C);
            if (shentsize != 64) { problem = $"its section header size is {shentsize}, not 64"; return null; }
            if (shoff == 0 || shnum == 0) { problem = "it has no section headers (or more than 65279, which this reader does not handle)"; return null; }
            if (shoff > (ulong)d.Length || (ulong)d.Length - shoff < (ulong)shnum * 64) { problem = "its section headers lie outside the file"; return null; }
            var sections = new SectionHeader[shnum];
            for (int i = 0; i < shnum; i++)
            {
                long h = (long)shoff + i * 64L;
                var s = new SectionHeader
                {
                    Type = U32(d, h + 4), Offset = (long)Math.Min(U64(d, h + 24), long.MaxValue), Size = (long)Math.Min(U64(d, h + 32), long.MaxValue),
                    Link = U32(d, h + 40), Info = U32(d, h + 44), EntSize = (long)Math.Min(U64(d, h + 56), long.MaxValue),
                };
                // SHT_NOBITS (8) occupies no file space; every other section must lie inside the file.
                if (s.Type != 8 && s.Type != 0 && (s.Offset > d.Length || d.Length - s.Offset < s.Size)) { problem = $"section {i} lies outside the file"; return null; }
                sections[i] = s;
            }
            return new Elf(d, sections);
        }

        public SectionHeader? Section(uint index) => index < Sections.Length ? Sections[index] : null;

        /// <summary>A NUL-terminated string at an offset in a string table; null when it runs outside the table.</summary>
        public string? String(SectionHeader strtab, uint offset)
        {
            if (offset >= strtab.Size) return null;
            long start = strtab.Offset + offset, end = start;
            while (end < strtab.Offset + strtab.Size && _data[end] != 0) end++;
            return end < strtab.Offset + strtab.Size ? Encoding.ASCII.GetString(_data, (int)start, (int)(end - start)) : null;
        }

        /// <summary>Names of the dynamic symbols whose .gnu.version entry is the given version index.</summary>
        public List<string>? SymbolsWithVersion(int index, out string problem)
        {
            problem = "";
            var dynsym = Sections.FirstOrDefault(s => s.Type == ShtDynsym);
            var versym = Sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
            var names = dynsym == null ? null : Section(dynsym.Link);
            if (dynsym == null || versym == null || names == null) { problem = "it lacks .dynsym, .gnu.version or their string table"; return null; }
            if (dynsym.EntSize != 24) { problem = $".dynsym entries are {dynsym.EntSize} bytes, not 24"; return null; }
            var count = dynsym.Size / 24;
            if (versym.Size < count * 2) { problem = ".gnu.version is shorter than .dynsym"; return null; }
            var result = new List<string>();
            for (long i = 0; i < count; i++)
            {
                if ((U16(_data, versym.Offset + i * 2) & 0x7fff) != index) continue;
                result.Add(String(names, U32(_data, dynsym.Offset + i * 24)) ?? $"<symbol {i}>");
            }
            return result;
        }
    }
}
