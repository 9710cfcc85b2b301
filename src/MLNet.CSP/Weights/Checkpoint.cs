using System.Collections;
using TorchSharp.PyBridge;

namespace MLNet.CSP.Weights;

/// <summary>
/// Reads and writes network weights as PyTorch state dicts: <c>.safetensors</c>, and PyTorch pickles
/// (<c>.pth</c>, <c>.pt</c>, <c>.bin</c>, <c>.ckpt</c>) as published for timm and torchvision models.
/// </summary>
public static class Checkpoint
{
    private static readonly string[] WrapperKeys = ["state_dict", "model", "state_dict_ema", "model_ema"];

    /// <summary>Reads a state dict from a file; the caller owns (and disposes) the tensors.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable checkpoint.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file '{path}' was not found.", path);
        try
        {
            if (IsSafetensors(path)) return Safetensors.LoadStateDict(path);
            return Flatten(PyTorchUnpickler.UnpickleStateDict(path));
        }
        catch (Exception e) when (e is not OutOfMemoryException and not FileNotFoundException)
        {
            throw new InvalidDataException($"Checkpoint file '{path}' could not be read (truncated or not a PyTorch/safetensors state dict): {e.Message}", e);
        }
    }

    /// <summary>Loads a checkpoint file into <paramref name="model"/>; strict unless <paramref name="options"/> say otherwise.</summary>
    /// <exception cref="CheckpointMismatchException">Keys or shapes differ; the message lists them.</exception>
    public static void Load(Backbone model, string path, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        WithFile(path, stateDict => Load(model, stateDict, path, options));
    }

    /// <summary>Reads a checkpoint file, hands its state dict to <paramref name="use"/>, then releases the tensors.</summary>
    private static void WithFile(string path, Action<Dictionary<string, Tensor>> use)
    {
        var stateDict = Read(path);
        try
        {
            use(stateDict);
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
    }

    /// <summary>Copies a state dict into <paramref name="model"/> after checking every key and shape.</summary>
    /// <exception cref="CheckpointMismatchException">Keys or shapes differ; the message lists them.</exception>
    public static void Load(Backbone model, IReadOnlyDictionary<string, Tensor> stateDict, string source, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stateDict);
        options ??= CheckpointLoadOptions.Strict;
        var target = model.state_dict();
        var source2 = RenameLegacyDenseNetKeys(StripPrefix(stateDict, "module."));
        bool IsClassifier(string key) => key.StartsWith(model.ClassifierPrefix, StringComparison.Ordinal);

        var missing = new List<string>();
        var mismatched = new List<string>();
        var plan = new List<(Tensor Target, Tensor Value)>();
        bool classifierMismatch = target.Keys.Where(IsClassifier).Any(k =>
            !source2.TryGetValue(k, out var v) || !v.shape.SequenceEqual(target[k].shape));
        foreach (var (key, tensor) in target)
        {
            bool skipClassifier = IsClassifier(key) && (options.ExcludeClassifier || (options.SkipMismatchedClassifier && classifierMismatch));
            if (skipClassifier) continue;
            if (!source2.TryGetValue(key, out var value))
            {
                // BatchNorm's step counter is absent from many published checkpoints and unused in inference.
                if (!key.EndsWith("num_batches_tracked", StringComparison.Ordinal)) missing.Add(key);
                continue;
            }
            if (!value.shape.SequenceEqual(tensor.shape))
            {
                mismatched.Add($"{key}: checkpoint [{string.Join(", ", value.shape)}] vs network [{string.Join(", ", tensor.shape)}]");
                continue;
            }
            plan.Add((tensor, value));
        }
        var unexpected = source2.Keys.Where(k => !target.ContainsKey(k) && !(IsClassifier(k) && (options.ExcludeClassifier || options.SkipMismatchedClassifier))).ToList();
        if (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0)
            throw new CheckpointMismatchException(source, model.Architecture, missing, unexpected, mismatched);

        using var _ = torch.no_grad();
        foreach (var (t, v) in plan) t.copy_(v);
        if (model.IsOptimizedForInference) model.OptimizeForInference();
    }

    /// <summary>
    /// Loads a checkpoint file into any module (a detector, a backbone), strictly: every key and shape must match. With a
    /// <paramref name="keyPrefix"/>, only the file's keys under that prefix are read, without it (a backbone out of a detector's file).
    /// A <see cref="Backbone"/> gets <see cref="Load(Backbone, string, CheckpointLoadOptions?)"/>'s handling of published checkpoints.
    /// </summary>
    /// <exception cref="CheckpointMismatchException">Keys or shapes differ; the message lists them.</exception>
    public static void Load(nn.Module model, string path, string keyPrefix = "")
    {
        ArgumentNullException.ThrowIfNull(model);
        WithFile(path, stateDict => Load(model, stateDict, path, keyPrefix));
    }

    /// <summary>Copies a state dict into any module after checking every key and shape (see <see cref="Load(nn.Module, string, string)"/>).</summary>
    /// <exception cref="CheckpointMismatchException">Keys or shapes differ; the message lists them.</exception>
    public static void Load(nn.Module model, IReadOnlyDictionary<string, Tensor> stateDict, string source, string keyPrefix = "")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        var selected = keyPrefix.Length == 0 ? stateDict : stateDict.Where(kv => kv.Key.StartsWith(keyPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[keyPrefix.Length..], kv => kv.Value);
        if (model is Backbone backbone)
        {
            Load(backbone, selected, source);
            return;
        }
        var target = model.state_dict();
        var missing = target.Keys.Where(k => !selected.ContainsKey(k)).ToList();
        var unexpected = selected.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var mismatched = target.Where(kv => selected.TryGetValue(kv.Key, out var v) && !v.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: checkpoint [{string.Join(", ", selected[kv.Key].shape)}] vs network [{string.Join(", ", kv.Value.shape)}]").ToList();
        if (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0)
            throw new CheckpointMismatchException(source, model.GetName(), missing, unexpected, mismatched);
        using var noGrad = torch.no_grad();
        foreach (var (key, tensor) in target) tensor.copy_(selected[key]);
    }

    /// <summary>
    /// Writes any module's state dict (a <see cref="Backbone"/>'s in PyTorch key order): safetensors for <c>.safetensors</c>, else a
    /// PyTorch pickle; each key gets <paramref name="keyPrefix"/> in front.
    /// </summary>
    public static void Save(nn.Module model, string path, string keyPrefix = "")
    {
        ArgumentNullException.ThrowIfNull(model);
        var stateDict = Snapshot(model, keyPrefix);
        try
        {
            Save(stateDict, path);
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Writes a state dict: safetensors for <c>.safetensors</c>, else a PyTorch pickle. The file is written beside the target
    /// and moved over it when complete (missing folders are created): a failed write leaves an earlier file as it was, and the
    /// target is replaced, not written through (a link at the path becomes a file).
    /// </summary>
    public static void Save(IReadOnlyDictionary<string, Tensor> stateDict, string path)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var dictionary = stateDict as Dictionary<string, Tensor> ?? stateDict.ToDictionary(kv => kv.Key, kv => kv.Value);
        // Through a temporary file moved over the target: a smaller state dict written over a larger file must not keep its tail
        // (the writers open an existing file without truncating it), and a failed write leaves the earlier file as it was.
        bool safetensors = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
        Pipelines.Internal.AtomicFile.Write(path, stream =>
        {
            if (safetensors) Safetensors.SaveStateDict(stream, dictionary, leaveOpen: true);
            else PyTorchPickler.PickleStateDict(stream, dictionary, leaveOpen: true);
            return 0;
        });
    }

    /// <summary>Writes any module's state dict in safetensors format to a stream (a <see cref="Backbone"/>'s in PyTorch key order).</summary>
    public static void SaveSafetensors(nn.Module model, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        var stateDict = Snapshot(model, "");
        try
        {
            Safetensors.SaveStateDict(stream, stateDict, leaveOpen: true);
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
    }

    /// <summary>A CPU, contiguous copy of the module's parameters and buffers (the caller disposes them).</summary>
    private static Dictionary<string, Tensor> Snapshot(nn.Module model, string keyPrefix)
    {
        IEnumerable<(string Key, Tensor Value)> entries = model is Backbone backbone
            ? backbone.StateDict()
            : model.state_dict().Select(kv => (kv.Key, kv.Value));
        return entries.ToDictionary(kv => keyPrefix + kv.Key, kv => kv.Value.detach().cpu().contiguous());
    }

    /// <summary>Writes the model's state dict: safetensors for <c>.safetensors</c>, else a PyTorch pickle.</summary>
    public static void Save(Backbone model, string path) => Save((nn.Module)model, path);

    /// <summary>Writes the model's state dict in safetensors format to a stream (PyTorch key order).</summary>
    public static void SaveSafetensors(Backbone model, Stream stream) => SaveSafetensors((nn.Module)model, stream);

    /// <summary>Reads a safetensors state dict from a stream; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a complete safetensors file.</exception>
    public static Dictionary<string, Tensor> ReadSafetensors(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            return Safetensors.LoadStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"The weights in '{source}' could not be read (truncated or corrupt): {e.Message}", e);
        }
    }

    private static bool IsSafetensors(string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return true;
        // A PyTorch pickle is a zip (PK..) or starts with the pickle protocol byte 0x80.
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[2];
        return stream.Read(head) == 2 && !(head[0] == (byte)'P' && head[1] == (byte)'K') && head[0] != 0x80;
    }

    private static Dictionary<string, Tensor> Flatten(IDictionary dictionary)
    {
        foreach (var wrapper in WrapperKeys)
            if (dictionary.Contains(wrapper) && dictionary[wrapper] is IDictionary inner) return Flatten(inner);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in dictionary)
            if (entry.Key is string key && entry.Value is Tensor tensor) result[key] = tensor;
        if (result.Count == 0) throw new InvalidDataException("The file holds no tensors.");
        return result;
    }

    /// <summary>
    /// torchvision's first DenseNet checkpoints name a dense layer's parts <c>norm.1</c>, <c>conv.2</c>, ...; the modules (and
    /// timm's hub copies) use <c>norm1</c>, <c>conv2</c>. Both load; torchvision and timm rename the same way.
    /// </summary>
    internal static Dictionary<string, Tensor> RenameLegacyDenseNetKeys(Dictionary<string, Tensor> stateDict) =>
        stateDict.ToDictionary(kv => LegacyDenseLayerKey.Replace(kv.Key, "$1.$2$3.$4"), kv => kv.Value, StringComparer.Ordinal);

    private static readonly System.Text.RegularExpressions.Regex LegacyDenseLayerKey =
        new(@"^(.*denselayer\d+)\.(norm|relu|conv)\.([12])\.(weight|bias|running_mean|running_var|num_batches_tracked)$", System.Text.RegularExpressions.RegexOptions.Compiled);

    private static Dictionary<string, Tensor> StripPrefix(IReadOnlyDictionary<string, Tensor> stateDict, string prefix)
    {
        bool all = stateDict.Count > 0 && stateDict.Keys.All(k => k.StartsWith(prefix, StringComparison.Ordinal));
        return stateDict.ToDictionary(kv => all ? kv.Key[prefix.Length..] : kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }
}
