// Straightforward references for the elementwise binary family (tests only): numpy
// broadcasting by explicit multi-index arithmetic, in double precision.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "parallax/tensor.h"

namespace parallax::reference {

// Broadcast of any number of shapes; `ok` is false when they are incompatible.
Shape BroadcastShapesRef(const std::vector<Shape>& shapes, bool* ok);

// out[idx] = f(inputs[k][idx mapped into input k]) for every index of the broadcast shape.
// Inputs are given as double vectors with their shapes.
std::vector<double> BroadcastRef(const std::vector<std::vector<double>>& inputs,
                                 const std::vector<Shape>& shapes, const Shape& out,
                                 const std::function<double(const std::vector<double>&)>& f);

// Tensor contents of any numeric/bool dtype (float16 included) as double.
std::vector<double> ToDoubles(const Tensor& t);

}  // namespace parallax::reference
