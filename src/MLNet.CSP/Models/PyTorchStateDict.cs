namespace MLNet.CSP.Models;

/// <summary>
/// State-dict entries in PyTorch's order: for each module, its own parameters, then its own persistent buffers,
/// then its children in registration order (TorchSharp's <c>state_dict()</c> lists all parameters before all buffers).
/// </summary>
internal static class PyTorchStateDict
{
    public static List<(string Key, Tensor Value)> Entries(nn.Module module)
    {
        var entries = new List<(string, Tensor)>();
        Visit(module, "", entries);
        return entries;
    }

    private static void Visit(nn.Module module, string prefix, List<(string, Tensor)> entries)
    {
        foreach (var (name, parameter) in module.named_parameters(recurse: false)) entries.Add((prefix + name, parameter));
        foreach (var (name, buffer) in module.named_buffers(recurse: false, include_nonpersistent: false)) entries.Add((prefix + name, buffer));
        foreach (var (name, child) in module.named_children()) Visit(child, prefix + name + ".", entries);
    }
}
