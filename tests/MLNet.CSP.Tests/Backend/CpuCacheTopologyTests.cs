using MLNet.CSP.Backend;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Backend;

/// <summary>Reading the cache topology the way oneDNN does, from injected CPUID answers.</summary>
[TestClass]
public sealed class CpuCacheTopologyTests
{
    private const int AmdTopologyLeaf = unchecked((int)0x8000001D);

    // "AuthenticAMD" / "GenuineIntel" in EBX, EDX, ECX.
    private static readonly (int Ebx, int Edx, int Ecx) Amd = (0x68747541, 0x69746e65, 0x444d4163);
    private static readonly (int Ebx, int Edx, int Ecx) Intel = (0x756e6547, 0x49656e69, 0x6c65746e);

    /// <summary>EAX/EBX/ECX of a cache descriptor: type (1 data, 2 instruction, 3 unified), level, 64-byte lines, 1 partition.</summary>
    private static (int, int, int, int) Cache(int type, int level, int ways, int sets) => (type | (level << 5), ((ways - 1) << 22) | 63, sets - 1, 0);

    private static CpuCacheTopology.CpuIdReader Reader((int Ebx, int Edx, int Ecx) vendor, int maxLeaf, uint maxExtended, (int, int, int, int)[] caches, int cacheLeaf) =>
        (leaf, sub) => leaf switch
        {
            0 => (maxLeaf, vendor.Ebx, vendor.Ecx, vendor.Edx),
            unchecked((int)0x80000000) => (unchecked((int)maxExtended), 0, 0, 0),
            _ when leaf == cacheLeaf && sub < caches.Length => caches[sub],
            _ => (0, 0, 0, 0),
        };

    private static readonly (int, int, int, int)[] ZenCaches =
        [Cache(1, 1, 8, 64), Cache(2, 1, 8, 64), Cache(3, 2, 8, 2048), Cache(3, 3, 16, 32768)];

    [TestMethod]
    public void AmdWithZeroedLeafIsHidden()
    {
        var t = CpuCacheTopology.Read(Reader(Amd, 16, 0x80000028, [], AmdTopologyLeaf));
        Assert.AreEqual("AuthenticAMD", t.Vendor);
        Assert.IsTrue(t.IsHidden);
        StringAssert.Contains(t.Description, "0x8000001D");
    }

    [TestMethod]
    public void AmdWithCachesIsVisibleAndSized()
    {
        var t = CpuCacheTopology.Read(Reader(Amd, 16, 0x80000028, ZenCaches, AmdTopologyLeaf));
        Assert.IsFalse(t.IsHidden);
        StringAssert.Contains(t.Description, "L1d 32 KB");
        StringAssert.Contains(t.Description, "L2 1024 KB");
        StringAssert.Contains(t.Description, "L3 32768 KB");
        Assert.IsFalse(t.Description.Contains("L1 32 KB"), "Instruction caches are not data caches.");
    }

    [TestMethod]
    public void AmdWithoutTheTopologyLeafIsHidden() =>
        Assert.IsTrue(CpuCacheTopology.Read(Reader(Amd, 16, 0x80000008, ZenCaches, AmdTopologyLeaf)).IsHidden);

    [TestMethod]
    public void IntelReadsLeafFour()
    {
        Assert.IsFalse(CpuCacheTopology.Read(Reader(Intel, 22, 0x80000008, ZenCaches, 4)).IsHidden);
        var hidden = CpuCacheTopology.Read(Reader(Intel, 22, 0x80000008, [], 4));
        Assert.AreEqual("GenuineIntel", hidden.Vendor);
        Assert.IsTrue(hidden.IsHidden);
        Assert.IsTrue(CpuCacheTopology.Read(Reader(Intel, 2, 0x80000008, ZenCaches, 4)).IsHidden, "Leaf 4 not offered.");
    }

    [TestMethod]
    public void OnlyAnInstructionCacheCountsAsHidden() =>
        Assert.IsTrue(CpuCacheTopology.Read(Reader(Amd, 16, 0x80000028, [Cache(2, 1, 8, 64)], AmdTopologyLeaf)).IsHidden);

    [TestMethod]
    public void ThisMachineCanBeRead()
    {
        var t = CpuCacheTopology.Read();
        Assert.IsFalse(string.IsNullOrEmpty(t.Description));
    }
}
