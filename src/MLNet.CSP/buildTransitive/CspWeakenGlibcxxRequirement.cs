// MSBuild task (compiled by RoslynCodeTaskFactory): marks one GLIBCXX version requirement of
// libLibTorchSharp.so as weak when the system libstdc++ does not provide it. See MLNet.CSP.targets beside this file.
using System.IO;
using System.Linq;
using System.Text;
using System;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class CspWeakenGlibcxxRequirement : Task
{
    [Required] public string Directory { get; set; }
    [Required] public string VersionName { get; set; }

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        var libraries = System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        if (libraries.Length == 0) return true;

        string systemLib = LibStdCxxCandidates.FirstOrDefault(File.Exists);
        if (systemLib == null)
        {
            Log.LogMessage(MessageImportance.Low, "No system libstdc++.so.6 found; libLibTorchSharp.so left as it is.");
            return true;
        }
        if (Contains(File.ReadAllBytes(systemLib), Encoding.ASCII.GetBytes(VersionName + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, systemLib + " provides " + VersionName + "; no patch needed.");
            return true;
        }

        foreach (var library in libraries)
        {
            try
            {
                string result = Patch(library, VersionName);
                Log.LogMessage(MessageImportance.High, "libLibTorchSharp patch: " + library + ": " + result);
            }
            catch (Exception e)
            {
                Log.LogWarning("Could not mark " + VersionName + " weak in " + library + ": " + e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    /// <summary>Sets VER_FLG_WEAK on the Elf64_Vernaux entry named <paramref name="versionName"/>.</summary>
    public static string Patch(string path, string versionName)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only 64-bit little-endian ELF is supported");

        ulong shoff = BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            int sh = checked((int)shoff + s * shentsize);
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToUInt64(elf, sh + 0x18));
            int link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
            int strtab = checked((int)BitConverter.ToUInt64(elf, (int)shoff + link * shentsize + 0x18));

            int need = offset;
            while (true)
            {
                int count = BitConverter.ToUInt16(elf, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (int a = 0; a < count; a++)
                {
                    string name = ReadCString(elf, strtab + (int)BitConverter.ToUInt32(elf, aux + 8));
                    if (name == versionName)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                        if ((flags & VerFlgWeak) != 0) return versionName + " already weak";
                        flags |= VerFlgWeak;
                        elf[aux + 4] = (byte)flags;
                        elf[aux + 5] = (byte)(flags >> 8);
                        // Delete first so that a hard link to a shared copy (e.g. the NuGet cache) is never written through.
                        File.Delete(path);
                        File.WriteAllBytes(path, elf);
                        return versionName + " marked weak";
                    }
                    uint nextAux = BitConverter.ToUInt32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += (int)nextAux;
                }
                uint next = BitConverter.ToUInt32(elf, need + 12);
                if (next == 0) break;
                need += (int)next;
            }
        }
        return versionName + " not required; nothing to do";
    }

    static string ReadCString(byte[] data, int start)
    {
        int end = start;
        while (end < data.Length && data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, start, end - start);
    }
}
