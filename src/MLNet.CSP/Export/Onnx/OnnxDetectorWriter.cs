using Google.Protobuf;
using Onnx;

namespace MLNet.CSP.Export.Onnx;

/// <summary>
/// Turns a <see cref="CspDetector"/> into an ONNX model whose graph also decodes the YOLO maps (grid offsets, anchors,
/// sigmoid scores) into corner boxes and per-class scores; suppression stays with the caller, or, with
/// <see cref="OnnxExportOptions.IncludeNms"/>, ends the graph too (ONNX NonMaxSuppression per class, then the best detections).
/// </summary>
internal static class OnnxDetectorWriter
{
    /// <summary>Upper bound of <c>exp(t_wh)</c>, as <see cref="YoloGrid"/> clamps it.</summary>
    private const float MaxLogScale = 6;

    public static OnnxExportInfo Write(Stream stream, CspDetector detector, OnnxExportOptions options, ImagePreprocessing? preprocessing, IReadOnlyList<string>? labels,
        (float Score, float Iou, int MaxDetections)? suppression = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(detector);
        options.Validate();
        if (options.DynamicSize) throw new ArgumentException("A detector graph takes its own image size (its anchor grids are constants); set DynamicSize to false.", nameof(options));
        if (options.Output is not null) throw new ArgumentException("A detector graph always outputs 'boxes' and 'scores'; leave Output unset.", nameof(options));
        if (options.IncludeNms && suppression is null)
            throw new ArgumentException("IncludeNms needs the trained detector's thresholds: export from the CspObjectDetectionTransformer.", nameof(options));
        if (options.IncludeNms && options.DynamicBatch)
            throw new ArgumentException("With IncludeNms the graph takes one image per run: set DynamicBatch to false.", nameof(options));

        int size = detector.ImageSize;
        var graph = new OnnxGraph();
        long? batch = options.DynamicBatch ? null : 1;
        string inputName = preprocessing is null ? OnnxModelWriter.TensorInputName : OnnxModelWriter.ImageInputName;
        string x = graph.AddInput(inputName, [batch, 3, size, size], ["N", "channels", "height", "width"]);
        if (preprocessing is not null)
        {
            using (graph.Scope("preprocess")) x = OnnxModelWriter.Normalize(graph, x, preprocessing);
        }
        IReadOnlyList<string> raw;
        using (torch.no_grad()) raw = detector.ExportOnnxGraph(graph, x);

        var boxes = new List<string>();
        var scores = new List<string>();
        using (graph.Scope("decode"))
        {
            for (int s = 0; s < raw.Count; s++)
            {
                var (b, c) = DecodeScale(graph, raw[s], detector, s, size);
                boxes.Add(b);
                scores.Add(c);
            }
        }
        long anchors = DetectionNeck.OutputStrides.Sum(stride => (long)AnchorBoxes.PerScale * (size / stride) * (size / stride));
        string allBoxes = graph.Concat(1, [.. boxes]), allScores = graph.Concat(1, [.. scores]);
        if (options.IncludeNms)
        {
            var (score, iou, maxDetections) = suppression!.Value;
            using (graph.Scope("nms")) AddSuppression(graph, allBoxes, allScores, score, iou, maxDetections);
        }
        else
        {
            graph.AddOutput(allBoxes, "boxes", [batch, anchors, 4], ["N", "boxes", "corners"]);
            graph.AddOutput(allScores, "scores", [batch, anchors, detector.NumClasses], ["N", "boxes", "classes"]);
        }

        var model = OnnxModelWriter.CreateModel(graph, options.Opset, $"{detector.Architecture} detector ({detector.Neck} neck) exported by MLNet.CSP");
        OnnxModelWriter.AddMetadata(model, "mlnet_csp.architecture", detector.Architecture);
        OnnxModelWriter.AddMetadata(model, "mlnet_csp.neck", detector.Neck.ToString());
        OnnxModelWriter.AddMetadata(model, "mlnet_csp.anchors", System.Text.Json.JsonSerializer.Serialize(detector.Anchors.Sizes.Select(a => new[] { a.Width, a.Height })));
        OnnxModelWriter.AddPreprocessingMetadata(model, preprocessing, labels);
        model.WriteTo(stream);
        stream.Flush();
        return options.IncludeNms
            ? new OnnxExportInfo(inputName, OnnxModelWriter.Shape(batch, 3, size, size), "boxes", OnnxModelWriter.Shape(null, 4), options.Opset, preprocessing, labels)
            {
                OutputNames = ["boxes", "scores", "labels"],
                Letterboxed = true,
            }
            : new OnnxExportInfo(inputName, OnnxModelWriter.Shape(batch, 3, size, size), "boxes", OnnxModelWriter.Shape(batch, anchors, 4), options.Opset, preprocessing, labels)
            {
                OutputNames = ["boxes", "scores"],
                Letterboxed = true,
            };
    }

    /// <summary>
    /// The library's suppression for one image in ONNX: NonMaxSuppression per class (a score above the threshold, a box
    /// dropped when it overlaps a kept one of its class by more than the IoU; at most the most detections per class, which
    /// cannot change the overall best), then the best detections over all classes by score (TopK).
    /// </summary>
    private static void AddSuppression(OnnxGraph graph, string boxes, string scores, float score, float iou, int maxDetections)
    {
        string byClass = graph.Transpose(scores, 0, 2, 1); // [1, C, B]
        string selected = graph.Node("NonMaxSuppression", [boxes, byClass, graph.Int64Constant("max_per_class", maxDetections),
            graph.Scalar("iou_threshold", iou), graph.Scalar("score_threshold", score)]); // [K, 3]: image, class, box
        string imageAndBox = graph.Node("Gather", [selected, graph.Int64Constant("image_box_columns", 0, 2)], OnnxGraph.Int("axis", 1));
        string keptBoxes = graph.Node("GatherND", [boxes, imageAndBox]); // [K, 4]
        string keptScores = graph.Node("GatherND", [byClass, selected]); // [K]
        string keptLabels = graph.Reshape(graph.Node("Gather", [selected, graph.Int64Constant("class_column", 1)], OnnxGraph.Int("axis", 1)), -1);
        string count = graph.Node("ReduceMin", [graph.Concat(0, graph.Node("Shape", [keptScores]), graph.Int64Constant("max_detections", maxDetections))],
            OnnxGraph.Int("keepdims", 1));
        var top = graph.MultiNode("TopK", [keptScores, count], 2, OnnxGraph.Int("axis", 0), OnnxGraph.Int("largest", 1), OnnxGraph.Int("sorted", 1));
        graph.AddOutput(graph.Node("Gather", [keptBoxes, top[1]], OnnxGraph.Int("axis", 0)), "boxes", [null, 4], ["detections", "corners"]);
        graph.AddOutput(top[0], "scores", [null], ["detections"]);
        graph.AddOutput(graph.Node("Gather", [keptLabels, top[1]], OnnxGraph.Int("axis", 0)), "labels", [null], ["detections"],
            TensorProto.Types.DataType.Int64);
    }

    /// <summary>One scale's raw map [N, A(5+C), H, W] to boxes [N, A·H·W, 4] and scores [N, A·H·W, C], anchor-major as the decoder.</summary>
    private static (string Boxes, string Scores) DecodeScale(OnnxGraph graph, string raw, CspDetector detector, int scale, int size)
    {
        int stride = DetectionNeck.OutputStrides[scale];
        int cells = size / stride, a = AnchorBoxes.PerScale, values = 5 + detector.NumClasses;
        string perAnchor = graph.Transpose(graph.Reshape(raw, 0, a, values, cells, cells), 0, 1, 3, 4, 2); // [N, A, H, W, V]
        string txy = graph.Slice(perAnchor, 4, 0, 2);
        string twh = graph.Slice(perAnchor, 4, 2, 4);
        string obj = graph.Slice(perAnchor, 4, 4, 5);
        string cls = graph.Slice(perAnchor, 4, 5, values);

        var grid = new float[cells * cells * 2];
        for (int y = 0; y < cells; y++)
            for (int xx = 0; xx < cells; xx++)
            {
                grid[2 * (y * cells + xx)] = xx;
                grid[2 * (y * cells + xx) + 1] = y;
            }
        string cellOffsets = graph.Constant("grid", grid, 1, 1, cells, cells, 2);
        var anchorSizes = detector.Anchors.OfScale(scale).SelectMany(s => new[] { s.Width, s.Height }).ToArray();
        string priors = graph.Constant("anchors", anchorSizes, 1, a, 1, 1, 2);

        string centre = graph.Node("Mul", [graph.Node("Add", [graph.Node("Sigmoid", [txy]), cellOffsets]), graph.Scalar("stride", stride)]);
        string extent = graph.Node("Mul", [graph.Node("Exp", [graph.Node("Min", [twh, graph.Scalar("max_log_scale", MaxLogScale)])]), priors]);
        string half = graph.Node("Mul", [extent, graph.Scalar("half", 0.5f)]);
        string corners = graph.Concat(-1, graph.Node("Sub", [centre, half]), graph.Node("Add", [centre, half]));
        string clipped = graph.Node("Clip", [corners, graph.Scalar("zero", 0f), graph.Scalar("size", size)]);
        string score = graph.Node("Mul", [graph.Node("Sigmoid", [obj]), graph.Node("Sigmoid", [cls])]);
        return (graph.Reshape(clipped, 0, -1, 4), graph.Reshape(score, 0, -1, detector.NumClasses));
    }
}
