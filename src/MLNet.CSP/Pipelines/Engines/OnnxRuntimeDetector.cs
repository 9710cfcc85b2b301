using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace MLNet.CSP.Pipelines.Engines;

/// <summary>
/// A trained detector's own ONNX export with suppression inside (decode, per-class NonMaxSuppression, the best detections) run by
/// ONNX Runtime on the CPU, one letterboxed image per run. Safe to call from several threads at once.
/// </summary>
internal sealed class OnnxRuntimeDetector : IDisposable
{
    private static readonly string[] OutputNames = ["boxes", "scores", "labels"];
    private readonly InferenceSession session;
    private readonly string inputName;
    private readonly int imageSize;

    public OnnxRuntimeDetector(CspDetector detector, (float Score, float Iou, int MaxDetections) suppression, int threads)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(threads));
        imageSize = detector.ImageSize;
        using var model = new MemoryStream();
        var info = OnnxDetectorWriter.Write(model, detector, new OnnxExportOptions { DynamicBatch = false, IncludeNms = true }, null, null, suppression);
        inputName = info.InputName;
        session = OnnxRuntimeSessions.Open(model.ToArray(), threads);
    }

    /// <summary>Detections of normalised letterboxed images [N, 3, S, S] (float, CPU), in input pixels, best first.</summary>
    public IReadOnlyList<IReadOnlyList<ScoredBox>> Detect(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != imageSize || images.shape[3] != imageSize)
            throw new ArgumentException($"Expected images [N, 3, {imageSize}, {imageSize}], got [{string.Join(", ", images.shape)}].", nameof(images));
        int perImage = 3 * imageSize * imageSize;
        var found = new IReadOnlyList<ScoredBox>[images.shape[0]];
        var buffer = ArrayPool<float>.Shared.Rent(perImage);
        using var scope = torch.NewDisposeScope(); // the conversions' intermediate tensors, if any
        try
        {
            var all = MemoryMarshal.Cast<byte, float>(images.to_type(ScalarType.Float32).to(torch.CPU).contiguous().bytes);
            using var runOptions = new RunOptions();
            for (int i = 0; i < found.Length; i++)
            {
                all.Slice(i * perImage, perImage).CopyTo(buffer);
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, perImage), [1, 3, imageSize, imageSize]);
                using var outputs = session.Run(runOptions, [inputName], [input], OutputNames);
                var boxes = outputs[0].GetTensorDataAsSpan<float>();
                var scores = outputs[1].GetTensorDataAsSpan<float>();
                var labels = outputs[2].GetTensorDataAsSpan<long>();
                var detections = new ScoredBox[scores.Length];
                for (int k = 0; k < detections.Length; k++)
                    detections[k] = new ScoredBox(new BoundingBox(boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2], boxes[4 * k + 3]), (int)labels[k], scores[k]);
                found[i] = detections;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
        return found;
    }

    public void Dispose() => session.Dispose();
}
