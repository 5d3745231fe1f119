// Readers for the evaluation files of the Neural Collaborative Filtering paper (He et al. 2017):
// `*.test.rating` (user item rating timestamp) and `*.test.negative` ("(user,item)" + negatives).
#pragma once

#include <metarec/data/delimited.h>
#include <metarec/data/id_map.h>
#include <metarec/data/negative_sampling.h>

#include <string>
#include <vector>

namespace metarec {

/// The format of a `.test.rating` (or `.train.rating`) file for read_delimited.
DelimitedFormat ncf_rating_format();

/// Reads a `.test.negative` file. Ids are looked up in `users`/`items` (the dataset's maps, so the
/// file must use the same ids as the data); an unknown id or a malformed line throws FormatError
/// naming the line.
std::vector<SampledCase> read_ncf_negatives(const std::string& path, const IdMap& users,
                                            const IdMap& items);

}  // namespace metarec
