package sqlstore

type labelRepo struct{ s *Store }
type chatRepo struct{ s *Store }
type memberRepo struct{ s *Store }
type messageRepo struct{ s *Store }
type attachmentRepo struct{ s *Store }
