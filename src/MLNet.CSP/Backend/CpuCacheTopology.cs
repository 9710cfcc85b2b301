using System.Runtime.Intrinsics.X86;

namespace MLNet.CSP.Backend;

/// <summary>
/// The CPU cache topology as oneDNN reads it from CPUID: leaf 4 on Intel, leaf 0x8000001D on AMD. Some virtual machines
/// (Firecracker-based hosts among them) return zeros there; oneDNN in libtorch 2.10 then blocks its kernels for caches of
/// size zero, computes some float32 convolutions wrongly and can die with SIGFPE.
/// </summary>
/// <param name="Vendor">The CPUID vendor string (e.g. <c>AuthenticAMD</c>), or <c>none</c> off x86.</param>
/// <param name="IsHidden">True when the cache leaves oneDNN reads describe no data cache.</param>
/// <param name="Description">One line: what was read.</param>
public sealed record CpuCacheTopology(string Vendor, bool IsHidden, string Description)
{
    /// <summary>Executes CPUID for (leaf, subleaf) and returns (EAX, EBX, ECX, EDX).</summary>
    internal delegate (int Eax, int Ebx, int Ecx, int Edx) CpuIdReader(int leaf, int subleaf);

    /// <summary>Reads this machine's topology (not hidden off x86, where oneDNN's x64 code does not run).</summary>
    public static CpuCacheTopology Read() =>
        X86Base.IsSupported ? Read((leaf, sub) => X86Base.CpuId(leaf, sub)) : new CpuCacheTopology("none", false, "not an x86 processor");

    /// <summary>Reads the topology through <paramref name="cpuid"/> (tests inject a reader).</summary>
    internal static CpuCacheTopology Read(CpuIdReader cpuid)
    {
        var (maxLeaf, b, c, d) = cpuid(0, 0);
        string vendor = string.Concat(Ascii(b), Ascii(d), Ascii(c));
        bool amd = vendor is "AuthenticAMD" or "HygonGenuine";
        int leaf = amd ? unchecked((int)0x8000001D) : 4;
        if (amd)
        {
            var (maxExtended, _, _, _) = cpuid(unchecked((int)0x80000000), 0);
            if ((uint)maxExtended < 0x8000001D) return new(vendor, true, $"{vendor}: CPUID leaf 0x8000001D is not offered (max extended leaf 0x{maxExtended:X})");
        }
        else if (maxLeaf < 4) return new(vendor, true, $"{vendor}: CPUID leaf 4 is not offered (max leaf {maxLeaf})");

        var levels = new List<string>();
        for (int i = 0; i < 8; i++)
        {
            var (eax, ebx, ecx, _) = cpuid(leaf, i);
            int type = eax & 0x1f;
            if (type == 0) break;
            long size = (long)(((ebx >> 22) & 0x3ff) + 1) * (((ebx >> 12) & 0x3ff) + 1) * ((ebx & 0xfff) + 1) * ((long)(uint)ecx + 1);
            if (type != 2) levels.Add($"L{(eax >> 5) & 7}{(type == 1 ? "d" : "")} {size / 1024} KB"); // skip instruction caches
        }
        string leafName = amd ? "0x8000001D" : "4";
        return levels.Count == 0
            ? new(vendor, true, $"{vendor}: CPUID leaf {leafName} describes no data cache (a VM that hides the cache topology)")
            : new(vendor, false, $"{vendor}: {string.Join(", ", levels)} (CPUID leaf {leafName})");
    }

    private static string Ascii(int register) =>
        new(BitConverter.GetBytes(register).Select(x => x is >= 32 and < 127 ? (char)x : '?').ToArray());
}
