using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace MLNet.CSP.Tests.Build;

/// <summary>
/// The build marks libLibTorchSharp.so's GLIBCXX_3.4.32 requirement weak where the system libstdc++ lacks it
/// (Debian 12), so TorchSharp loads. Reads the ELF version-needs table of the copy in the test output folder.
/// </summary>
[TestClass]
public sealed class LibTorchSharpPatchTests
{
    private const string Version = "GLIBCXX_3.4.32";

    [TestMethod]
    public void TorchSharpLoadsAndComputes()
    {
        using var a = torch.ones(2, 2);
        Assert.AreEqual(4.0f, a.sum().item<float>());
    }

    [TestMethod]
    public void RequirementIsWeakExactlyWhenTheSystemLacksIt()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("The patch applies to Linux only.");
        string library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.IsTrue(File.Exists(library), library);
        var needs = ReadVersionNeeds(File.ReadAllBytes(library));
        Assert.IsTrue(needs.ContainsKey(Version), "TorchSharp 0.107 declares the requirement this patch is about.");
        if (SystemLibStdCxx.Path is null) Assert.Inconclusive("No system libstdc++ found.");
        bool systemHasIt = SystemLibStdCxx.Provides(Version);
        Assert.AreEqual(!systemHasIt, (needs[Version] & 0x2) != 0, $"Weak flag of {Version} (system provides it: {systemHasIt}).");
        Assert.IsTrue(needs.Where(n => n.Key != Version).All(n => (n.Value & 0x2) == 0), "No other requirement is touched.");
    }

    /// <summary>Version name -> vna_flags, from the SHT_GNU_verneed section.</summary>
    private static Dictionary<string, int> ReadVersionNeeds(byte[] elf)
    {
        var result = new Dictionary<string, int>();
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int entSize = BitConverter.ToUInt16(elf, 0x3A), count = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < count; i++)
        {
            int header = (int)shoff + i * entSize;
            if (BitConverter.ToUInt32(elf, header + 4) != 0x6ffffffe) continue;
            int offset = (int)BitConverter.ToInt64(elf, header + 0x18);
            int strtab = (int)BitConverter.ToInt64(elf, (int)shoff + BitConverter.ToInt32(elf, header + 0x28) * entSize + 0x18);
            for (int need = offset; ;)
            {
                int aux = need + BitConverter.ToInt32(elf, need + 8);
                for (int a = 0; a < BitConverter.ToUInt16(elf, need + 2); a++)
                {
                    int name = strtab + BitConverter.ToInt32(elf, aux + 8);
                    int end = Array.IndexOf(elf, (byte)0, name);
                    result[Encoding.ASCII.GetString(elf, name, end - name)] = BitConverter.ToUInt16(elf, aux + 4);
                    aux += BitConverter.ToInt32(elf, aux + 12);
                }
                int next = BitConverter.ToInt32(elf, need + 12);
                if (next == 0) break;
                need += next;
            }
        }
        return result;
    }
}
